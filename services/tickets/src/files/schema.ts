import type { ColumnType, Generated } from 'kysely';

/** The file a seller attached to a ticket: one per ticket, replaced whole. */
export interface TicketFilesTable {
  ticket_id: string;
  /** Where the content lives in the file store (chunks here, or an S3 object key). */
  object_key: string;
  /** Which store holds the content: `postgres` (ticket_file_chunks) or `s3`. */
  storage: 'postgres' | 's3';
  content_type: string;
  size_bytes: number;
  /** Lower-case hex SHA-256 of the content, computed while it streamed in. */
  sha256: string;
  uploaded_by: string;
  /** Set by the database on insert; a replacement sets it again. */
  uploaded_at: ColumnType<Date, never, Date>;
}

/**
 * The content of files kept in Postgres, in chunks of at most 256 KiB, so that
 * neither an upload nor a download ever holds a whole file in memory.
 */
export interface TicketFileChunksTable {
  object_key: string;
  seq: number;
  bytes: Buffer;
}

/** Every download, so a dispute ("I never got it") can be answered: who, when, which file. */
export interface TicketFileDownloadsTable {
  id: Generated<string>;
  ticket_id: string;
  object_key: string;
  sha256: string;
  user_id: string;
  /** Whether the downloader was the seller or the buyer. */
  role: 'seller' | 'buyer';
  downloaded_at: ColumnType<Date, never, never>;
}

/** Who bought a ticket: written by order.completed, read by downloads and /purchased. */
export interface TicketPurchasesTable {
  ticket_id: string;
  order_id: string;
  buyer_id: string;
  purchased_at: ColumnType<Date, Date | undefined, never>;
}

/**
 * Purchases refunded in full (payment.refunded), by order: the buyer keeps no right to
 * the ticket's file. Keyed by order, not by purchase, because the refund may arrive
 * before the order.completed that records the purchase.
 */
export interface PurchaseRefundsTable {
  order_id: string;
  payment_id: string;
  refunded_at: ColumnType<Date, Date | undefined, never>;
}

export interface TicketFilesTables {
  ticket_files: TicketFilesTable;
  ticket_file_chunks: TicketFileChunksTable;
  ticket_file_downloads: TicketFileDownloadsTable;
  ticket_purchases: TicketPurchasesTable;
  purchase_refunds: PurchaseRefundsTable;
}
