// Stores opened from a memory image (Store.memoryImage, freshTestStore) or
// on a data dir seeded from one (seedTestDataDir): each is migrated, empty
// and its own, and the option is refused where it has no meaning.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { IN_MEMORY } from "../config/schema.ts";
import { StoreError } from "./errors.ts";
import { Store } from "./store.ts";
import { freshTestStore, seedTestDataDir } from "./testing.ts";

const opened: Store[] = [];

async function track(store: Promise<Store>): Promise<Store> {
  const open = await store;
  opened.push(open);
  return open;
}

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

// The first store of the file makes the image: initdb, seconds on a loaded machine.
const SLOW = { timeout: 60_000 };

describe("freshTestStore", SLOW, () => {
  it("freshTestStore_isMigratedAndEmpty", async () => {
    const store = await track(freshTestStore());

    expect(await store.listCursors()).toEqual([]);
    expect(await store.listAudit({ limit: 10 })).toEqual([]);
    expect(await store.setCursor(40161, 7n)).toBe(7n);
    await store.appendAudit({ actor: "test", action: "retry", subject: "s" });
    expect(await store.getCursor(40161)).toBe(7n);
    expect(await store.listAudit({ limit: 10 })).toMatchObject([{ actor: "test", subject: "s" }]);
  });

  it("freshTestStore_storesAreIsolated_nothingWrittenReachesAnotherOrALaterOne", async () => {
    const first = await track(freshTestStore());
    const second = await track(freshTestStore());

    await first.setCursor(40161, 5n);
    await second.setCursor(40168, 9n);
    const later = await track(freshTestStore());

    expect(await first.listCursors()).toMatchObject([{ eid: 40161, height: 5n }]);
    expect(await second.listCursors()).toMatchObject([{ eid: 40168, height: 9n }]);
    expect(await later.listCursors()).toEqual([]);
  });
});

describe("seedTestDataDir", SLOW, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "loanbridge-seed-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("seedTestDataDir_aStoreOnItIsMigratedAndEmpty_andKeepsWhatIsWritten", async () => {
    const dataDir = join(dir, "store");
    await seedTestDataDir(dataDir);
    // Only the data dir: the image it was unpacked from is gone.
    expect(await readdir(dir)).toEqual(["store"]);

    const first = await Store.open({ kind: "pglite", dataDir });
    try {
      expect(await first.listCursors()).toEqual([]);
      expect(await first.listAudit({ limit: 10 })).toEqual([]);
      await first.setCursor(40161, 11n);
    } finally {
      await first.close();
    }
    const again = await track(Store.open({ kind: "pglite", dataDir }));
    expect(await again.getCursor(40161)).toBe(11n);
  });
});

describe("Store.open with a memory image", SLOW, () => {
  let image: Blob;
  let dir: string;
  beforeAll(async () => {
    image = await Store.memoryImage();
    dir = await mkdtemp(join(tmpdir(), "loanbridge-image-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("open_fromAnImage_givesAStoreThatReadsAndWrites", async () => {
    const store = await track(
      Store.open({ kind: "pglite", dataDir: IN_MEMORY }, { memoryImage: image }),
    );

    await store.ping();
    expect(await store.setCursor(1, 3n)).toBe(3n);
    expect(await store.getCursor(1)).toBe(3n);
  });

  it("open_withAnImageForADataDir_isRefused_andTouchesNothing", async () => {
    const dataDir = join(dir, "store");

    const error = await Store.open({ kind: "pglite", dataDir }, { memoryImage: image }).catch(
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe("InvalidInput");
    expect((error as StoreError).shortMessage).toMatchInlineSnapshot(
      `"a memory image is for an in-memory store only"`,
    );
    expect(await readdir(dir)).toEqual([]);
  });
});
