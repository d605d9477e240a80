import { afterAll, beforeAll } from "vitest";
import { Agent, type Dispatcher, getGlobalDispatcher, setGlobalDispatcher } from "undici";

/** Where requests to hosts matching `host` go instead: a simulator's `http://127.0.0.1:port`. */
export interface HostRoute {
  host: RegExp;
  to: string;
}

export const SHOPIFY_HOSTS = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;

type Headers = NonNullable<Dispatcher.DispatchOptions["headers"]>;

/** The request's headers as undici's flat `[name, value, …]` list, with `host` set to `host`. */
function withHost(headers: Headers | null | undefined, host: string): string[] {
  const flat: string[] = [];
  const add = (name: string, value: string | string[] | undefined) => {
    if (value === undefined || name.toLowerCase() === "host") return;
    for (const one of Array.isArray(value) ? value : [value]) flat.push(name, one);
  };
  if (Array.isArray(headers)) for (let i = 0; i < headers.length; i += 2) add(headers[i]!, headers[i + 1]);
  else if (headers && Symbol.iterator in headers) for (const [name, value] of headers as Iterable<[string, string | string[] | undefined]>) add(name, value);
  else if (headers) for (const [name, value] of Object.entries(headers)) add(name, value as string | string[] | undefined);
  flat.push("host", host);
  return flat;
}

/**
 * An undici dispatcher that sends the platforms' hosts (`https://{shop}.myshopify.com/...`) to the
 * simulators, keeping the original Host so the simulator knows the shop. Every other host except
 * 127.0.0.1 / localhost is refused: a test never reaches the internet by accident. Installed as the
 * global dispatcher, it is what `fetch` (and so Shopify's library) uses: Lockstep's code is unchanged.
 */
export class PlatformHostRouter extends Agent {
  constructor(private readonly routes: HostRoute[]) {
    super();
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): boolean {
    const origin = new URL(String(options.origin));
    const route = this.routes.find((candidate) => candidate.host.test(origin.hostname));
    if (route) return super.dispatch({ ...options, origin: route.to, headers: withHost(options.headers, origin.host) }, handler);
    if (origin.hostname === "127.0.0.1" || origin.hostname === "localhost") return super.dispatch(options, handler);
    handler.onError?.(new Error(`test network: ${origin.host} is not routed to a simulator (see test/helpers/platformHosts.ts)`));
    return true;
  }
}

/**
 * For one test file: `fetch` in this process sends the routed hosts to their simulators. `routes`
 * is read when the file starts (simulators listen in an earlier beforeAll); `reroute` changes it.
 */
export function usePlatformHosts(routes: () => HostRoute[]) {
  let previous: Dispatcher | undefined;
  let router: PlatformHostRouter | undefined;
  beforeAll(() => {
    previous = getGlobalDispatcher();
    router = new PlatformHostRouter(routes());
    setGlobalDispatcher(router);
  });
  afterAll(async () => {
    if (previous) setGlobalDispatcher(previous);
    // destroy, not close: close waits for keep-alive sockets the server side may hold open.
    await router?.destroy();
  });
  return {
    /** Sends the hosts elsewhere from now on (e.g. to a closed port: the platform does not answer). */
    reroute(next: HostRoute[]) {
      const old = router;
      router = new PlatformHostRouter(next);
      setGlobalDispatcher(router);
      void old?.destroy();
    },
  };
}
