// Liveness of the web server itself, without rendering a page or calling the API:
// what npm start, the test harness and Kubernetes probe.
export const dynamic = 'force-dynamic';

export function GET(): Response {
  return Response.json({ status: 'ok' });
}
