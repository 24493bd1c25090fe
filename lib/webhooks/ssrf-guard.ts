import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { promisify } from "node:util";

import ipaddr from "ipaddr.js";

import { ApiError } from "../errors/api-error";

// Webhook URLs must not reach into the network Keyhold runs in (DESIGN.md section 15.5): every
// address a host resolves to has to be public unicast. Checked when an endpoint is saved, and
// again at every connection through guardedLookup, so a name that later resolves elsewhere
// (DNS rebinding) is refused too. KEYHOLD_WEBHOOK_ALLOW_PRIVATE=1 lifts both for local receivers.

const lookupAll = promisify(dnsLookup);

/** Only plain public unicast; loopback, private, link-local (the cloud metadata address), CGNAT,
 * unique-local, NAT64 and 6to4/Teredo tunnels to them, and every reserved range are refused. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === "unicast";
}

function refuse(message: string): ApiError {
  return new ApiError("bad_request", `Invalid field: url. ${message}`, { details: [{ path: "url", message }] });
}

/** The URL as stored, or 400 naming `url`: https (http only with private addresses allowed), public addresses only. */
export async function checkWebhookUrl(raw: string, allowPrivate: boolean): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse("must be an absolute URL");
  }
  if (url.protocol !== "https:" && !(allowPrivate && url.protocol === "http:")) throw refuse("must use https");
  if (url.username || url.password) throw refuse("must not carry a user name or password");
  if (allowPrivate) return url.toString();
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addresses: LookupAddress[];
  try {
    addresses = ipaddr.isValid(host) ? [{ address: host, family: host.includes(":") ? 6 : 4 }] : await lookupAll(host, { all: true });
  } catch {
    throw refuse("host name does not resolve");
  }
  if (addresses.length === 0 || !addresses.every((entry) => isPublicAddress(entry.address))) {
    throw refuse("resolves to a loopback, private, link-local or reserved address");
  }
  return url.toString();
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for node:http(s) that fails the connection when the name resolves to a non-public address. */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: object, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const list = addresses as LookupAddress[];
      if (!allowPrivate && !list.every((entry) => isPublicAddress(entry.address))) {
        return callback(Object.assign(new Error("webhook address is not public"), { code: "EADDRNOTPUBLIC" }), []);
      }
      const wantsAll = (options as { all?: boolean }).all === true;
      if (wantsAll) return callback(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}
