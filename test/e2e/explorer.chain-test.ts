// The explorer page in a real browser (Debian's chromium driven by
// playwright-core) against the real system: anvil, the SBF program on the
// local Solana node and three relayer processes. One loan (ETH collateral,
// borrowing on Solana, repaid in 3 daily installments) is opened and
// delivered both ways; relayer-0's page must list it with both halves'
// states, amounts and installments, find it by loan id, borrower and either
// chain's transaction, and show its packets in order with their statuses and
// tx ids, while the status strip keeps moving; once the first installment is
// paid on Solana, the loan's schedule shows it paid and the other two due.
//
// Screenshots of the list and the loan go to a temp dir, or to
// $LOANBRIDGE_SCREENSHOTS (`make screenshots` sets it to docs/).
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Hex, toBytes } from "@loanbridge/shared";
import {
  airdrop,
  poolLoanAccountOf,
  repayInstruction,
  rpcSender,
} from "@loanbridge/solana-program";
import { generateKeyPairSigner } from "@solana/kit";
import { parseEther, Wallet } from "ethers";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildExplorer } from "../../relayer/explorer/build.ts";
import {
  formatAmount,
  formatDate,
  formatTime,
  scheduleSummary,
} from "../../relayer/explorer/format.ts";
import type { LoanView, PacketView, ScheduleView } from "../../relayer/src/api/views.ts";
import { devKey, providerFor } from "../../relayer/src/chains/evm/testing.ts";
import { EVM_EID, type Localnet, SOLANA_EID, startLocalnet } from "../localnet/index.ts";
import {
  mintToOwnerFor,
  nextPoolPacketNonce,
  openEthLoan,
  waitEthLoanActive,
  waitFor,
  waitForDeliveredPackets,
} from "./support.ts";

const USDC = 1_000_000n;
const DAY = 86_400n;
const CHROMIUM = "/usr/bin/chromium";
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let net: Localnet;
let browser: Browser;
let shots: string;
const ownShots = process.env.LOANBRIDGE_SCREENSHOTS === undefined;

beforeAll(async () => {
  // The relayers serve relayer/explorer/dist: build it from the sources under test.
  await buildExplorer();
  shots = ownShots
    ? await mkdtemp(join(tmpdir(), "explorer-shots-"))
    : resolve(process.env.LOANBRIDGE_SCREENSHOTS ?? "");
  await mkdir(shots, { recursive: true });
  // The browser first: without chromium the test stops before any chain starts.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  net = await startLocalnet();
}, 300_000);

afterAll(async () => {
  await browser.close();
  await net.stop();
  if (ownShots) await rm(shots, { recursive: true, force: true });
});

async function apiGet<T>(url: string): Promise<T> {
  const reply = await fetch(url);
  if (!reply.ok) throw new Error(`GET ${url}: ${reply.status}`);
  return (await reply.json()) as T;
}

/** Types a search and waits for the page to settle on `hash`. */
async function search(page: Page, text: string, hash: string): Promise<void> {
  await page.locator("#search-input").fill(text);
  await page.locator("#search-input").press("Enter");
  await page.waitForURL((url) => url.hash === hash);
}

async function screenshot(page: Page, name: string): Promise<void> {
  const path = join(shots, name);
  await page.screenshot({ path, fullPage: true });
  const png = await readFile(path);
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  expect(png.length).toBeGreaterThan(10_000);
}

describe("the explorer page (chromium, 3 relayers, 2 of 3)", () => {
  it("explorer_followsALoanAcrossBothChains", async () => {
    const provider = providerFor(net.evm.url);
    const borrower = new Wallet(devKey(1), provider);
    // 3 installments of a day each (the dev pools allow 1, 7 and 30 d periods);
    // the recipient pays the first one below, so it has SOL for fees.
    const { rpc, deployment } = net.solana;
    const recipient = await generateKeyPairSigner();
    await airdrop(rpc, recipient.address, 1n);
    const tokens = await mintToOwnerFor(net, recipient.address, 0n);
    const principal = 1_500n * USDC;
    const opened = await openEthLoan(net, borrower, {
      collateral: parseEther("2"),
      principal,
      recipient: recipient.address,
      termSeconds: 3n * DAY,
      installments: 3,
    });
    const loan = { ...opened, tokens, principal };
    await waitEthLoanActive(net, provider, loan);
    const lists = await waitForDeliveredPackets(net.relayers, loan.loanId, [
      "OPEN_LOAN",
      "LOAN_ACTIVE",
    ]);
    // The page of the relayer that delivered OPEN_LOAN: only it knows the
    // Solana signature (the others saw the delivery in the pool's state).
    const deliverer = lists.findIndex((list) =>
      list.some((packet) => packet.message.type === "OPEN_LOAN" && packet.destTx !== null),
    );
    const relayer = net.relayers[deliverer];
    if (relayer === undefined) throw new Error("no relayer recorded OPEN_LOAN's Solana signature");
    const view = await waitFor(
      `relayer-${relayer.index} to mirror ${loan.loanId} as active on both halves`,
      () =>
        apiGet<LoanView>(`${relayer.apiUrl}/v1/loans/${loan.loanId}`).then((found) =>
          found.vaultState === "active" && found.poolState === "active" ? found : undefined,
        ),
    );
    expect(view.installments).toBe(3);
    const { packets } = await apiGet<{ packets: PacketView[] }>(
      `${relayer.apiUrl}/v1/packets?loanId=${loan.loanId}`,
    );
    const openLoan = packets.find((packet) => packet.messageType === "OPEN_LOAN");
    const loanActive = packets.find((packet) => packet.messageType === "LOAN_ACTIVE");
    if (openLoan?.destTx == null || loanActive === undefined) throw new Error("packets missing");

    const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    page.setDefaultTimeout(15_000);
    const problems: string[] = [];
    page.on("console", (message) => {
      if (message.type() !== "error" && message.type() !== "warning") return;
      // A loan id that is a tx hash: the page asks for the loan first and gets
      // a 404; and a schedule the relayer has not read yet is a 404 too.
      const { url } = message.location();
      if (
        message.text().includes("status of 404") &&
        /\/v1\/loans\/0x[0-9a-f]{64}(\/schedule)?$/.test(url)
      ) {
        return;
      }
      problems.push(`${message.text()} (${url})`);
    });
    page.on("pageerror", (error) => problems.push(error.message));

    // The list: both halves' states, amounts in whole units, the due date.
    await page.goto(`${relayer.apiUrl}/`);
    const row = page.getByTestId(`loan-${loan.loanId}`);
    await row.waitFor();
    expect(await row.getByTestId("vault").innerText()).toBe("active");
    expect(await row.getByTestId("pool").innerText()).toBe("active");
    expect(await row.getByTestId("agrees").innerText()).toBe("agree");
    const rowText = await row.innerText();
    expect(rowText).toContain("2 ETH on evm");
    expect(rowText).toContain(`${formatAmount(view.principal)} on solana`);
    expect(formatDate(view.dueAt)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(rowText).toContain(formatDate(view.dueAt));
    expect(await row.getByTestId("installments").innerText()).toContain("3 installments");

    // The status strip: both chains' heads, and it keeps moving (anvil
    // mines a block a second; the page polls every 3 s).
    const evmStrip = page.getByTestId(`chain-${EVM_EID}`);
    await evmStrip.waitFor();
    const first = await evmStrip.innerText();
    // (`head` and `lag` only where the relayer knows the unfinalized head.)
    const progress = /^(head \d+ · )?finalized \d+ · (lag \d+ · )?scanned \d+ · polled .+ ago$/;
    expect(first.replace(/^evm /, "")).toMatch(progress);
    const solanaStrip = await page.getByTestId(`chain-${SOLANA_EID}`).innerText();
    expect(solanaStrip.replace(/^solana /, "")).toMatch(progress);
    expect(await page.getByTestId("count-delivered").innerText()).toMatch(/^delivered [1-9]\d*$/);
    await waitFor("the status strip to refresh", async () =>
      (await evmStrip.innerText()) !== first ? true : undefined,
    );
    await screenshot(page, "explorer-loans.png");

    // Search: by borrower (the list of their loans), by loan id, and by a
    // tx of each kind: OPEN_LOAN's EVM tx and its delivery's Solana
    // signature, and LOAN_ACTIVE's Solana source (its packet account).
    // Each answer is awaited by its content: the view before it may match the URL's shape.
    await search(page, borrower.address, `#/loans?borrower=${borrower.address}`);
    await page
      .getByRole("heading", { name: `Loans of ${borrower.address}`, exact: true })
      .waitFor();
    await row.waitFor();
    await search(page, loan.loanId, `#/loan/${loan.loanId}`);
    await page.getByTestId("loan-id").getByText(loan.loanId, { exact: true }).waitFor();
    const txs = [
      [openLoan.sourceTx, "source-tx", /^0x[0-9a-f]{64}$/],
      [openLoan.destTx, "dest-tx", /^[1-9A-HJ-NP-Za-km-z]{86,88}$/],
      [loanActive.sourceTx, "source-tx", /^[1-9A-HJ-NP-Za-km-z]{43,44}$/],
    ] as const;
    for (const [tx, field, shape] of txs) {
      expect(tx).toMatch(shape);
      await search(page, tx, `#/loan/${loan.loanId}?tx=${tx}`);
      // The packet carried by that tx is the one highlighted.
      const highlighted = page.locator(".packet.highlight");
      await highlighted.getByTestId(field).getByText(tx, { exact: true }).waitFor();
      expect(await highlighted.count()).toBe(1);
    }
    const unknown: Hex = `0x${randomBytes(32).toString("hex")}`;
    await search(page, unknown, `#/search/${unknown}`);
    await page
      .getByTestId("not-found")
      .getByText(`No loan or transaction ${unknown} is recorded by this relayer.`, { exact: true })
      .waitFor();
    await search(page, "0x1234", "#/search/0x1234");
    await page
      .getByTestId("not-found")
      .getByText("“0x1234”: 0x… is a loan id or tx hash (64 hex digits) or an address (40).", {
        exact: true,
      })
      .waitFor();

    // Follow the loan from the list to its packets.
    await page.goto(`${relayer.apiUrl}/#/loans`);
    await row.getByRole("link").click();
    await page.waitForURL((url) => url.hash === `#/loan/${loan.loanId}`);
    const timeline = page.getByTestId("timeline").locator(":scope > li");
    await timeline.first().waitFor();
    expect(await timeline.count()).toBe(2);
    for (const [index, packet] of [openLoan, loanActive].entries()) {
      const item = timeline.nth(index);
      expect(await item.getByTestId("message-type").innerText()).toBe(packet.messageType);
      expect(await item.getByTestId("status").innerText()).toBe("delivered");
      expect(await item.getByTestId("source-tx").innerText()).toBe(packet.sourceTx);
      expect(await item.getByTestId("dest-tx").innerText()).toBe(
        packet.destTx ?? "not recorded by this relayer",
      );
      expect(await item.getByTestId("attempts").innerText()).toBe(String(packet.attempts));
      expect(await item.locator(".step.done").count()).toBeGreaterThanOrEqual(2);
    }
    expect(await timeline.nth(0).innerText()).toContain("evm → solana");
    expect(await timeline.nth(1).innerText()).toContain("solana → evm");
    const halves = page.locator("table.halves");
    expect(await halves.getByTestId("vault").innerText()).toBe("active");
    expect(await halves.getByTestId("pool").innerText()).toBe("active");

    // The schedule, once the relayer has read it from the Solana pool: three
    // installments, none paid.
    const schedule = page.getByTestId("schedule");
    const stateOf = (index: number) =>
      schedule.getByTestId(`installment-${index}`).getByTestId("installment-state").innerText();
    await schedule.getByTestId("installment-3").waitFor({ timeout: 60_000 });
    expect([await stateOf(1), await stateOf(2), await stateOf(3)]).toEqual(["due", "due", "due"]);
    expect(await schedule.getByTestId("schedule-summary").innerText()).toMatch(
      /^0 of 3 installments paid, next due \d{4}-\d{2}-\d{2}$/,
    );

    // The recipient pays the first installment on Solana (no packet: the loan
    // stays active); the relayer reads it at its next schedule read.
    const poolLoan = await poolLoanAccountOf(rpc, deployment.programId, loan.loanId);
    if (poolLoan === null) throw new Error(`the Solana pool has no loan ${loan.loanId}`);
    expect(poolLoan.schedule.installments).toBe(3);
    expect(poolLoan.schedule.periodSeconds).toBe(DAY);
    await rpcSender(rpc, { feePayer: recipient })(
      await repayInstruction(deployment.programId, {
        payer: recipient,
        payerTokens: tokens,
        loanId: toBytes(loan.loanId),
        srcEid: EVM_EID,
        packetNonce: await nextPoolPacketNonce(net),
        amount: poolLoan.schedule.installmentAmount,
      }),
    );
    const paid = await waitFor(
      `relayer-${relayer.index} to read the first installment of ${loan.loanId} as paid`,
      () =>
        apiGet<ScheduleView>(`${relayer.apiUrl}/v1/loans/${loan.loanId}/schedule`).then((found) =>
          found.items[0]?.state === "paid" ? found : undefined,
        ),
      60_000,
    );
    expect(paid.items.map((item) => item.state)).toEqual(["paid", "due", "due"]);
    // The page's refresh loop (every 3 s) shows it.
    await waitFor("the page to show the first installment paid", async () =>
      (await stateOf(1)) === "paid" ? true : undefined,
    );
    expect([await stateOf(2), await stateOf(3)]).toEqual(["due", "due"]);
    const [firstPaid, second] = paid.items;
    if (firstPaid === undefined || second === undefined) throw new Error("schedule items missing");
    const firstRow = schedule.getByTestId("installment-1");
    expect(await firstRow.getByTestId("paid").innerText()).toBe(formatAmount(firstPaid.paid));
    expect(await firstRow.getByTestId("paid-at").innerText()).toBe(formatTime(firstPaid.paidAt));
    expect(await firstRow.innerText()).toContain(formatAmount(firstPaid.remainingPrincipal));
    expect(await schedule.getByTestId("installment-2").getByTestId("paid").innerText()).toBe("—");
    const summary = await schedule.getByTestId("schedule-summary").innerText();
    expect(summary).toBe(scheduleSummary(paid));
    expect(summary).toBe(`1 of 3 installments paid, next due ${formatDate(second.dueAt)}`);
    expect(await halves.getByTestId("pool").innerText()).toBe("active");
    await screenshot(page, "explorer-loan.png");

    // No script error and no Content-Security-Policy violation on the way.
    expect(problems).toEqual([]);
    await page.close();
  });
});
