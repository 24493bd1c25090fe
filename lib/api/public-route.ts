import type { ApiRequest } from "./api-request";
import { bindContract } from "./contract/bind-contract";
import type { RouteContract } from "./contract/route-contract";

/** A route that needs no key, bound to its contract like withApiKey's. */
export function publicRoute<const Contract extends RouteContract & { scopes: null }, Fn extends (request: ApiRequest) => Promise<Response> | Response>(
  contract: Contract,
  handler: Fn,
) {
  return bindContract(contract, handler);
}
