// The two file formats of a Google feed, written a page of items at a time into any text sink:
// RSS 2.0 with the g: namespace through xmlbuilder2's callback (streaming) builder, and TSV with a
// header row through csv-stringify. Neither keeps more than the page it is given.

import { stringify } from "csv-stringify/sync";
import { createCB } from "xmlbuilder2";
import { FEED_COLUMNS, type GoogleFeedItem } from "./item";

export const GOOGLE_NAMESPACE = "http://base.google.com/ns/1.0";

/** Elements outside the g: namespace in Google's RSS (the rest are `g:…`). */
const RSS_ELEMENTS = new Set(["title", "description", "link"]);

export interface FeedWriter {
  write(items: GoogleFeedItem[]): void;
  end(): void;
}

export interface ChannelInfo {
  title: string;
  link: string;
  description: string;
}

/** RSS 2.0: `<rss xmlns:g><channel>` then one `<item>` per product; empty attributes are left out. */
export function xmlFeedWriter(sink: (text: string) => void, channel: ChannelInfo): FeedWriter {
  const xml = createCB({ data: (chunk: string) => sink(chunk), prettyPrint: false });
  xml.dec({ version: "1.0", encoding: "UTF-8" }).ele("rss", { version: "2.0", "xmlns:g": GOOGLE_NAMESPACE }).ele("channel");
  xml.ele("title").txt(channel.title).up().ele("link").txt(channel.link).up().ele("description").txt(channel.description).up();
  return {
    write(items) {
      for (const item of items) {
        xml.ele("item");
        for (const column of FEED_COLUMNS) {
          const value = item[column];
          if (value === "") continue;
          xml.ele(RSS_ELEMENTS.has(column) ? column : `g:${column}`).txt(value).up();
        }
        xml.up();
      }
    },
    end() {
      xml.up().up().end();
    },
  };
}

/** TSV: a header row, then one row per item; tabs and line breaks inside values become spaces (TSV cannot quote them for Google). */
export function tsvFeedWriter(sink: (text: string) => void): FeedWriter {
  let header = true;
  return {
    write(items) {
      if (items.length === 0 && !header) return;
      sink(
        stringify(
          items.map((item) => FEED_COLUMNS.map((column) => item[column].replace(/[\t\r\n]+/g, " "))),
          { delimiter: "\t", header, columns: FEED_COLUMNS as string[], quoted_match: /^$/, quote: false, record_delimiter: "\n" },
        ),
      );
      header = false;
    },
    end() {
      if (header) this.write([]);
    },
  };
}
