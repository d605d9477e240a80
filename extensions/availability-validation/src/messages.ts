/**
 * What a blocked line says, in the buyer's language (Shopify passes it in the input; English for
 * any language without its own entry). `fewer` is the instruction to lower the quantity, for one
 * line of the item or for several.
 */
export interface Messages {
  unknown(item: string): string;
  soldOut(item: string): string;
  onlyLeft(item: string, limit: number, lines: number): string;
  confirmingNone(item: string): string;
  confirmingAtMost(item: string, limit: number, lines: number): string;
  limitedUnconfirmed(item: string): string;
}

const en: Messages = {
  unknown: (item) => `We can't confirm stock for ${item} right now, so it can't be bought at the moment.`,
  soldOut: (item) => `${item} is sold out.`,
  onlyLeft: (item, limit, lines) => `Only ${units(limit, "unit", "units")} of ${item} left. ${reduce(lines, limit)}`,
  confirmingNone: (item) => `We're confirming stock for ${item}; it can't be bought right now.`,
  confirmingAtMost: (item, limit, lines) => `We're confirming stock for ${item}: you can buy at most ${units(limit, "unit", "units")} right now. ${reduce(lines, limit)}`,
  limitedUnconfirmed: (item) => `${item} is in limited stock and we can't confirm it right now, so it can't be bought at the moment.`,
};

function reduce(lines: number, limit: number): string {
  return `${lines > 1 ? "Reduce the quantities of its lines in your cart" : "Reduce the quantity"} to ${limit} or fewer.`;
}

const fr: Messages = {
  unknown: (item) => `Nous ne pouvons pas confirmer le stock de ${item} pour le moment : cet article ne peut pas être acheté maintenant.`,
  soldOut: (item) => `${item} est épuisé.`,
  onlyLeft: (item, limit, lines) => `Il ne reste que ${units(limit, "unité", "unités")} de ${item}. ${lines > 1 ? "Réduisez les quantités de ses lignes dans votre panier" : "Réduisez la quantité"} à ${limit} au maximum.`,
  confirmingNone: (item) => `Nous confirmons le stock de ${item} : cet article ne peut pas être acheté pour le moment.`,
  confirmingAtMost: (item, limit, lines) =>
    `Nous confirmons le stock de ${item} : vous pouvez en acheter ${units(limit, "unité", "unités")} au maximum pour le moment. ${lines > 1 ? "Réduisez les quantités de ses lignes dans votre panier" : "Réduisez la quantité"} à ${limit} au maximum.`,
  limitedUnconfirmed: (item) => `${item} est en stock limité et nous ne pouvons pas le confirmer pour le moment : cet article ne peut pas être acheté maintenant.`,
};

const de: Messages = {
  unknown: (item) => `Wir können den Bestand von ${item} gerade nicht bestätigen, daher kann der Artikel im Moment nicht gekauft werden.`,
  soldOut: (item) => `${item} ist ausverkauft.`,
  onlyLeft: (item, limit, lines) => `Nur noch ${units(limit, "Stück", "Stück")} von ${item} verfügbar. ${lines > 1 ? "Verringere die Mengen der Positionen im Warenkorb" : "Verringere die Menge"} auf höchstens ${limit}.`,
  confirmingNone: (item) => `Wir bestätigen gerade den Bestand von ${item}; der Artikel kann im Moment nicht gekauft werden.`,
  confirmingAtMost: (item, limit, lines) =>
    `Wir bestätigen gerade den Bestand von ${item}: Du kannst im Moment höchstens ${units(limit, "Stück", "Stück")} kaufen. ${lines > 1 ? "Verringere die Mengen der Positionen im Warenkorb" : "Verringere die Menge"} auf höchstens ${limit}.`,
  limitedUnconfirmed: (item) => `${item} ist nur begrenzt vorrätig und wir können den Bestand gerade nicht bestätigen, daher kann der Artikel im Moment nicht gekauft werden.`,
};

const es: Messages = {
  unknown: (item) => `No podemos confirmar el stock de ${item} en este momento, así que no se puede comprar ahora.`,
  soldOut: (item) => `${item} está agotado.`,
  onlyLeft: (item, limit, lines) => `Solo quedan ${units(limit, "unidad", "unidades")} de ${item}. ${lines > 1 ? "Reduce las cantidades de sus líneas en el carrito" : "Reduce la cantidad"} a ${limit} como máximo.`,
  confirmingNone: (item) => `Estamos confirmando el stock de ${item}; no se puede comprar en este momento.`,
  confirmingAtMost: (item, limit, lines) =>
    `Estamos confirmando el stock de ${item}: puedes comprar como máximo ${units(limit, "unidad", "unidades")} en este momento. ${lines > 1 ? "Reduce las cantidades de sus líneas en el carrito" : "Reduce la cantidad"} a ${limit} como máximo.`,
  limitedUnconfirmed: (item) => `${item} tiene stock limitado y no podemos confirmarlo en este momento, así que no se puede comprar ahora.`,
};

const byLanguage: Record<string, Messages> = { EN: en, FR: fr, DE: de, ES: es };

/** The messages for a Shopify LanguageCode (`EN`, `FR`, `PT_BR`, …): regional codes fall back to their language. */
export function messagesFor(isoCode: string | null | undefined): Messages {
  const code = (isoCode ?? "EN").toUpperCase();
  return byLanguage[code] ?? byLanguage[code.split("_")[0]!] ?? en;
}

function units(count: number, one: string, other: string): string {
  return `${count} ${count === 1 ? one : other}`;
}
