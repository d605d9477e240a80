import { type ActionFunctionArgs, redirect } from "@remix-run/node";
import { logOut } from "../staff/localLogin.server";

export const loader = () => redirect("/app");

export const action = async ({ request, context }: ActionFunctionArgs) => logOut(context.config, request);
