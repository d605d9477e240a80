import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { AppProvider, Banner, BlockStack, Button, Card, FormLayout, Page, Text, TextField } from "@shopify/polaris";
import polarisStyles from "@shopify/polaris/build/esm/styles.css?url";
import en from "@shopify/polaris/locales/en.json";
import { useState } from "react";
import { isLoggedIn, logIn, passwordMatches, safeNext } from "../staff/localLogin.server";
import { readForm } from "../staff/readForm.server";

export const links = () => [{ rel: "stylesheet", href: polarisStyles }];
// The action's Retry-After must reach the browser with the re-rendered page.
export const headers: HeadersFunction = ({ actionHeaders }) => {
  const headers = new Headers();
  const retryAfter = actionHeaders.get("retry-after");
  if (retryAfter) headers.set("retry-after", retryAfter);
  return headers;
};
export const meta: MetaFunction = () => [{ title: "Lockstep — log in" }];

export const loader = async ({ request, context }: LoaderFunctionArgs) => {
  const { config } = context;
  if (config.mode === "embedded") return redirect("/auth/login");
  const next = new URL(request.url).searchParams.get("next");
  if (await isLoggedIn(config, request)) return redirect(safeNext(next));
  return { next: safeNext(next) };
};

export const action = async ({ request, context }: ActionFunctionArgs) => {
  const { config, loginThrottle: throttle } = context;
  if (config.mode === "embedded") return redirect("/auth/login");
  const form = await readForm(request);
  // The server's view of the client (app/http/clientAddress.server.ts), never a header it sent.
  const client = context.clientAddress ?? "unknown";
  const wait = throttle.retryAfterSeconds(client);
  if (wait > 0) return Response.json({ error: `Too many failed attempts: try again in ${wait} s` }, { status: 429, headers: { "retry-after": String(wait) } });
  if (!passwordMatches(config, String(form.get("password") ?? ""))) {
    throttle.recordFailure(client);
    return Response.json({ error: "That password is not right" }, { status: 401 });
  }
  throttle.reset(client);
  return logIn(config, String(form.get("next") ?? ""));
};

export default function Login() {
  const { next } = useLoaderData<typeof loader>();
  const result = useActionData<{ error?: string }>();
  const navigation = useNavigation();
  const [password, setPassword] = useState("");
  return (
    <AppProvider i18n={en}>
      <Page narrowWidth>
        <Card>
          <Form method="post">
            <BlockStack gap="400">
              <Text as="h1" variant="headingLg">
                Lockstep admin
              </Text>
              <Text as="p" tone="subdued">
                Standalone mode: log in with the staff password printed when the app started (LOCKSTEP_ADMIN_PASSWORD).
              </Text>
              {result?.error && <Banner tone="critical">{result.error}</Banner>}
              <FormLayout>
                <input type="hidden" name="next" value={next} />
                <TextField label="Password" name="password" type="password" autoComplete="current-password" value={password} onChange={setPassword} />
                <Button submit variant="primary" loading={navigation.state === "submitting"}>
                  Log in
                </Button>
              </FormLayout>
            </BlockStack>
          </Form>
        </Card>
      </Page>
    </AppProvider>
  );
}
