// Buttons: whose they are, whether they fit, and what they become where a platform has none.
//
// A button's data is the command it stands for ("/token del 3 confirm"), prefixed with a short tag of the user it was
// made for: in a group anybody can press any button, and a press by someone else is refused (politely, as a small
// notice) instead of running their command under somebody else's message. The command itself always runs as the
// presser, with the presser's rights, so the tag is about manners, not about security.
import { createHash } from 'node:crypto';
import type { Button } from './types.js';

const SEPARATOR = '|';

/** 5 base-36 characters of the user's id hash: short, so the command keeps most of Telegram's 64 bytes. */
export function ownerTag(platformUserId: string): string {
  const n = createHash('sha256').update(platformUserId).digest().readUInt32BE(0);
  return n.toString(36).padStart(7, '0').slice(-5);
}

export function ownButton(button: Button, platformUserId: string): Button {
  return { ...button, data: `${ownerTag(platformUserId)}${SEPARATOR}${button.data}` };
}

export type Press = { ok: true; command: string } | { ok: false };

/**
 * A pressed button's data → its command, when the presser owns it. Data without a tag (from before tags existed, or a
 * platform that checks ownership itself) is taken as it is.
 */
export function decodePress(data: string, presserId: string): Press {
  const at = data.indexOf(SEPARATOR);
  if (at < 0 || data.startsWith('/')) return { ok: true, command: data };
  if (data.slice(0, at) !== ownerTag(presserId)) return { ok: false };
  return { ok: true, command: data.slice(at + 1) };
}

/** UTF-8 length, which is what Telegram counts for callback_data. */
const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * Encodes a keyboard's buttons (`encode`: the owner tag) and splits off those whose data would not fit the platform's
 * limit: they are spelled out as commands to send instead (a long model name, say), so no choice is silently lost.
 */
export function fitButtons(rows: Button[][], maxData: number, encode: (b: Button) => Button): { rows: Button[][]; spelledOut: Button[] } {
  const spelledOut: Button[] = [];
  const fitted = rows
    .map((row) =>
      row.flatMap((b) => {
        const encoded = encode(b);
        if (byteLength(encoded.data) <= maxData) return [encoded];
        spelledOut.push(b);
        return [];
      }),
    )
    .filter((row) => row.length > 0);
  return { rows: fitted, spelledOut };
}

/** "1. Delete\n2. Cancel": the choices as numbered lines, and the commands in the same order. */
export function numberChoices(rows: Button[][]): { lines: string[]; commands: string[] } {
  const buttons = rows.flat();
  return { lines: buttons.map((b, i) => `${i + 1}. ${b.label}`), commands: buttons.map((b) => b.data) };
}

/** A reply of "1".."99" (full-width digits too, as Chinese keyboards type them) → the number; else null. */
export function choiceNumber(text: string): number | null {
  const ascii = text.trim().replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
  return /^[1-9]\d?$/.test(ascii) ? Number(ascii) : null;
}
