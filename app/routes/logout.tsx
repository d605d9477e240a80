import { type ActionFunctionArgs, redirect } from "@remix-run/node";
import { appContext } from "../context.server";
import { logOut } from "../staff/localLogin.server";

export const loader = () => redirect("/app");

export const action = async ({ request }: ActionFunctionArgs) => logOut(appContext().config, request);
