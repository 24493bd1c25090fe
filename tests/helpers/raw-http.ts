import net from "node:net";

// Sends bytes exactly as given, for header values that fetch() would refuse or normalise.
export function rawRequest(port: number, head: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.end(Buffer.from(head, "latin1")));
    let data = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk) => (data += chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const [headers = "", ...rest] = data.split("\r\n\r\n");
      const status = Number(headers.split(" ")[1]);
      resolve({ status, headers, body: rest.join("\r\n\r\n") });
    });
  });
}
