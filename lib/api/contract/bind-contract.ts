import type { RouteContract } from "./route-contract";

// A route file's exported handler carries the contract it serves, so tests (and a router) can
// match handlers to contracts through imports rather than by reading source text.

export type BoundHandler<Contract extends RouteContract = RouteContract> = ((...args: never[]) => Promise<Response> | Response) & {
  readonly contract: Contract;
};

export function bindContract<Contract extends RouteContract, Fn extends (...args: never[]) => Promise<Response> | Response>(
  contract: Contract,
  handler: Fn,
): Fn & { readonly contract: Contract } {
  return Object.assign(handler, { contract });
}
