import { LockstepError } from "../config/errors";

/**
 * The request target as a URL on this server, or a 400: a path that is not origin-form (`//x`
 * would read as a host), holds an empty segment, or has percent-encoding that does not decode.
 * An absolute-form target (`GET http://host/path`) counts by its path; its host is ignored.
 */
export function parseRequestTarget(target: string | undefined): URL {
  let pathAndQuery = target ?? "/";
  if (/^https?:\/\//i.test(pathAndQuery)) {
    const absolute = URL.canParse(pathAndQuery) ? new URL(pathAndQuery) : undefined;
    if (!absolute) throw badTarget("The request target is not a valid URL");
    pathAndQuery = absolute.pathname + absolute.search;
  }
  if (!pathAndQuery.startsWith("/")) throw badTarget("The request target must be a path starting with /");
  const url = new URL(`http://localhost${pathAndQuery}`);
  if (url.pathname.includes("//")) throw badTarget("The request path has an empty segment (//)");
  try {
    decodeURIComponent(url.pathname);
  } catch {
    throw badTarget("The request path has invalid percent-encoding");
  }
  return url;
}

function badTarget(message: string): LockstepError {
  return new LockstepError("bad_request_target", message);
}
