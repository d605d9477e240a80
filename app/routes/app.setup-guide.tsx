import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { dismissGuide, readSetupGuide, setupGuideDepsFor } from "../onboarding/setupGuide.server";
import { undismissSetupGuide } from "../onboarding/sql/dismissSetupGuide";
import { authenticateStaff } from "../staff/authenticateStaff.server";

// The dashboard's setup guide (app/components/SetupGuide.tsx) reads and dismisses itself here.

export const loader = async ({ request, context }: LoaderFunctionArgs) => {
  const { shop } = await authenticateStaff(request, context);
  return Response.json(await readSetupGuide(setupGuideDepsFor(context), shop), { headers: { "cache-control": "no-store" } });
};

export const action = async ({ request, context }: ActionFunctionArgs) => {
  const { shop } = await authenticateStaff(request, context);
  const guideDeps = () => setupGuideDepsFor(context);
  const intent = (await request.formData()).get("intent");
  if (intent === "dismiss") await dismissGuide(guideDeps(), shop, new Date());
  else if (intent === "show") await undismissSetupGuide(context.db.sql, shop.id);
  else return Response.json({ error: `unknown intent "${String(intent)}": send dismiss or show` }, { status: 400 });
  return Response.json(await readSetupGuide(guideDeps(), shop));
};
