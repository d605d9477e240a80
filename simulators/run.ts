// `npm run simulators`: every simulated party on fixed local ports, for trying the app by hand.
import { startDemoSimulators } from "./demo";

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

const simulators = await startDemoSimulators({
  shopify: { domain: process.env.SIM_SHOP ?? "demo-shop.myshopify.com", accessToken: process.env.SIM_SHOPIFY_TOKEN ?? "shpat_demo" },
  ports: { shopify: port("SIM_SHOPIFY_PORT", 4101), bigcommerce: port("SIM_BIGCOMMERCE_PORT", 4102), erp: port("SIM_ERP_PORT", 4103), marketplace: port("SIM_MARKETPLACE_PORT", 4104) },
});
console.log(`Shopify Admin GraphQL  ${simulators.shopify.endpointFor(process.env.SIM_SHOP ?? "demo-shop.myshopify.com")}`);
console.log(`BigCommerce REST       ${simulators.bigcommerce.url}/stores/demo-store/v3/...`);
console.log(`ERP                    ${simulators.erp.url}`);
console.log(`Marketplace            ${simulators.marketplace.url}`);
console.log(`Point Lockstep at them: ${Object.entries(simulators.env).map(([key, value]) => `${key}=${value}`).join(" ")}`);
simulators.onChange((change) => console.log(`[change] ${change.kind} ${change.shop} ${JSON.stringify(change.payload).slice(0, 120)}`));
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void simulators.close().then(() => process.exit(0));
  });
}
