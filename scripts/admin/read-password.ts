// A new password from the person at the terminal (hidden, typed twice) or from the first line of
// stdin when a script pipes it in.
import { checkPassword } from "../../lib/users/service";
import { UsageError } from "../cli/run-command";

// Read before the database is opened, so the embedded database is not held while someone types.
export async function readNewPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = "";
    for await (const chunk of process.stdin) {
      text += String(chunk);
      if (text.includes("\n") || text.length > 4096) break;
    }
    const line = text.split(/\r?\n/, 1)[0] ?? "";
    if (line === "") throw new UsageError("No password on stdin: give it as the first line of input.");
    checkPassword(line);
    return line;
  }
  const password = await readHidden(`${prompt}: `);
  // Checked before asking again, so a too-short password fails at once.
  checkPassword(password);
  if ((await readHidden("Repeat it: ")) !== password) throw new UsageError("The two passwords differ; nothing changed.");
  return password;
}

// Raw mode instead of readline, so no character is ever echoed to the terminal.
function readHidden(prompt: string): Promise<string> {
  const input = process.stdin;
  // Raw mode before the prompt: a reply typed the instant the prompt appears must not be echoed.
  input.setRawMode(true);
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (error?: Error) => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      // Arrow and function keys arrive as one escape sequence per chunk: not part of a password.
      if (chunk.startsWith("\u001b")) return;
      for (const char of chunk) {
        if (char === "\r" || char === "\n") return finish();
        // Raw mode turns Ctrl-C and Ctrl-D into plain input, so they are handled here.
        if (char === "\u0003" || (char === "\u0004" && value === "")) return finish(new UsageError("Cancelled; nothing changed."));
        if (char === "\u007f" || char === "\b") value = [...value].slice(0, -1).join("");
        else if (char >= " ") value += char;
      }
    };
    input.setEncoding("utf8");
    input.on("data", onData);
    input.resume();
  });
}
