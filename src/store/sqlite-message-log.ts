import type SQLite from 'better-sqlite3';
import { conversationIndexKey } from './conversation-key.js';

/**
 * The hot path of stored messages on SQLite: the group commit's writes as cached prepared
 * statements in one synchronous transaction. Measured: building each batch as a few large
 * multi-row statements cost about 230 µs per message (statement compilation and SQLite
 * preparing new SQL text every batch); these cached statements cost a small fraction.
 * It runs on the writer thread (sqlite-writer.ts), on that thread's own connection.
 */
export interface LogItem {
  senderId: string;
  targetId: string;
  conversation: string;
  messageId: string;
  text: string;
  createdAt: number;
  recipients: readonly string[];
}

export interface LogResult {
  /** Row id of the stored message (the earlier one for a duplicate). */
  id: number;
  duplicate: boolean;
  seqs: Map<string, number>;
}

export class SqliteMessageLog {
  private readonly insertMessage: SQLite.Statement<unknown[]>;
  private readonly findExisting: SQLite.Statement<[string, string], { id: number }>;
  private readonly lastSeq: SQLite.Statement<[string, string], { seq: number | null; known: number | null }>;
  private readonly insertInbox: SQLite.Statement<[string, number, number, number]>;
  private readonly batch: (items: readonly LogItem[]) => LogResult[];
  private readonly markRecalled: SQLite.Statement<[number, number]>;
  private readonly recallTx: (messageId: number, at: number, recipients: readonly string[]) => Map<string, number>;
  private readonly raiseDelivered: SQLite.Statement<[number, string, number]>;
  private readonly marksTx: (marks: readonly (readonly [string, number])[]) => void;
  /**
   * Each user's last inbox number. SQLite means one server process, so the counters can
   * live here instead of being raised in the accounts table for every message; they are
   * read back from the inbox on first use (and after a failed batch).
   */
  private readonly seqs = new Map<string, number>();

  constructor(db: SQLite.Database) {
    this.insertMessage = db.prepare(
      `insert into messages (sender_id, target_id, conversation, conversation_key, client_message_id, text, created_at, recalled_at)
       values (?, ?, ?, ?, ?, ?, ?, null) on conflict (sender_id, client_message_id) do nothing`,
    );
    this.findExisting = db.prepare('select id from messages where sender_id = ? and client_message_id = ?');
    this.lastSeq = db.prepare(
      'select (select max(seq) from inbox where user_id = ?) as seq, (select 1 from accounts where id = ?) as known',
    );
    this.insertInbox = db.prepare('insert into inbox (user_id, seq, kind, message_id) values (?, ?, ?, ?)');
    this.batch = db.transaction((items: readonly LogItem[]) => items.map((item) => this.append(item)));
    this.markRecalled = db.prepare('update messages set recalled_at = ? where id = ?');
    this.recallTx = db.transaction((messageId: number, at: number, recipients: readonly string[]) => {
      this.markRecalled.run(at, messageId);
      return this.number(messageId, 2004, recipients);
    });
    this.raiseDelivered = db.prepare('update accounts set delivered_seq = ? where id = ? and delivered_seq < ?');
    this.marksTx = db.transaction((marks: readonly (readonly [string, number])[]) => {
      for (const [user, seq] of marks) this.raiseDelivered.run(seq, user, seq);
    });
  }

  /** Raises users' delivered marks (never lowers them), all in one commit. */
  markDelivered(marks: readonly (readonly [string, number])[]): void {
    this.marksTx(marks);
  }

  /** Marks a message recalled and numbers a recall notice in each recipient's inbox. */
  recall(messageId: number, at: number, recipients: readonly string[]): Map<string, number> {
    try {
      return this.recallTx(messageId, at, recipients);
    } catch (err) {
      this.seqs.clear();
      throw err;
    }
  }

  private number(messageId: number, kind: number, recipients: readonly string[]): Map<string, number> {
    const seqs = new Map<string, number>();
    for (const user of new Set(recipients)) {
      const seq = this.nextSeq(user);
      if (seq === null) continue; // the account is gone
      seqs.set(user, seq);
      this.insertInbox.run(user, seq, kind, messageId);
    }
    return seqs;
  }

  appendBatch(items: readonly LogItem[]): LogResult[] {
    try {
      return this.batch(items);
    } catch (err) {
      this.seqs.clear(); // numbers handed out inside the rolled-back transaction are void
      throw err;
    }
  }

  /** The next inbox number of a user, or null if the account is gone. */
  nextSeq(user: string): number | null {
    let last = this.seqs.get(user);
    if (last === undefined) {
      const row = this.lastSeq.get(user, user);
      if (!row?.known) return null;
      last = row.seq ?? 0;
    }
    this.seqs.set(user, last + 1);
    return last + 1;
  }

  private append(item: LogItem): LogResult {
    // The row id from the statement's result, not a RETURNING clause: 3 µs less per message.
    const inserted = this.insertMessage.run(
      item.senderId, item.targetId, item.conversation, conversationIndexKey(item.conversation), item.messageId, item.text, item.createdAt,
    );
    if (inserted.changes === 0) return { id: this.findExisting.get(item.senderId, item.messageId)!.id, duplicate: true, seqs: new Map() };
    const id = Number(inserted.lastInsertRowid);
    return { id, duplicate: false, seqs: this.number(id, 2001, item.recipients) };
  }
}
