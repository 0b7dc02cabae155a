import { describe, expect, it } from "vitest";
import { Turns } from "./turns.ts";

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("Turns", () => {
  it("turnsOnOneKey_comeInTheOrderTaken_eachAfterTheOneBeforeIsReleased", async () => {
    const turns = new Turns();
    const order: string[] = [];
    const first = await turns.take("pool");
    const second = turns.take("pool").then((turn) => {
      order.push("second");
      return turn;
    });
    const third = turns.take("pool").then((turn) => {
      order.push("third");
      return turn;
    });
    await tick();
    expect(order).toEqual([]);

    first.release();
    (await second).release();
    (await third).release();

    expect(order).toEqual(["second", "third"]);
    expect(turns.busyKeys).toBe(0);
  });

  it("otherKeysAndNoKey_doNotWait", async () => {
    const turns = new Turns();
    const held = await turns.take("to 30101");
    const other = await turns.take("to 30168");
    const none = await turns.take(undefined);

    expect([held.held, other.held, none.held]).toEqual([true, true, false]);
    held.release();
    other.release();
    expect(turns.busyKeys).toBe(0);
  });

  it("releasingTwice_releasesOnce_andDoesNotLetALaterTurnPassItsPredecessor", async () => {
    const turns = new Turns();
    const first = await turns.take("pool");
    const secondTaken = turns.take("pool");
    const thirdTaken = turns.take("pool");
    first.release();
    const second = await secondTaken;
    first.release();
    let thirdStarted = false;
    void thirdTaken.then(() => (thirdStarted = true));
    await tick();

    expect(second.held).toBe(true);
    expect(thirdStarted).toBe(false);
    second.release();
    second.release();
    expect((await thirdTaken).held).toBe(true);
    expect(second.held).toBe(false);
  });

  it("aReleasedTurnRetaken_comesAfterTheTurnsTakenMeanwhile_andRetakingAHeldOneDoesNothing", async () => {
    const turns = new Turns();
    const first = await turns.take("pool");
    await first.retake();
    expect(first.held).toBe(true);
    first.release();
    const second = await turns.take("pool");
    let retaken = false;
    const again = first.retake().then(() => (retaken = true));
    await tick();
    expect(retaken).toBe(false);

    second.release();
    await again;
    expect(first.held).toBe(true);
    first.release();
    expect(turns.busyKeys).toBe(0);
    const none = await turns.take(undefined);
    await none.retake();
    expect(none.held).toBe(false);
  });
});
