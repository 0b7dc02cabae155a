// Fresh stores for tests that open one per case. Each is a real in-memory
// PGlite store of its own, migrated and empty, like `Store.open` on
// memory:// gives; but it starts from an image of such a store, made once
// per test file (Store.memoryImage), instead of running initdb again, which
// was most of those tests' time.
import { IN_MEMORY } from "../config/schema.ts";
import { Store } from "./store.ts";

let image: Promise<Blob> | undefined;

/** A new, empty, migrated in-memory store; the caller closes it. */
export async function freshTestStore(): Promise<Store> {
  image ??= Store.memoryImage().catch((error: unknown) => {
    // The next caller tries again rather than failing on this one's error.
    image = undefined;
    throw error;
  });
  return Store.open({ kind: "pglite", dataDir: IN_MEMORY }, { memoryImage: await image });
}
