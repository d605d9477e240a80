/**
 * The form staff posted, or a 400 the admin shows: a body that is not a form (another content
 * type, broken multipart) is the sender's mistake, never a 500.
 */
export async function readForm(request: Request): Promise<FormData> {
  try {
    return await request.formData();
  } catch {
    throw Response.json({ error: "The request body is not a form" }, { status: 400 });
  }
}
