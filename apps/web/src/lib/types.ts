/** The shapes the gateway speaks (see /work/shared/API.md). */

export interface ApiErrorItem {
  message: string;
  field?: string;
}

export interface CurrentUser {
  id: string;
  email: string;
}

export interface Ticket {
  id: string;
  title: string;
  price: number;
  userId: string;
  version: number;
  orderId: string | null;
}

export type OrderStatus = 'created' | 'cancelled' | 'awaiting:payment' | 'complete';

export interface Order {
  id: string;
  userId: string;
  status: OrderStatus;
  expiresAt: string;
  version: number;
  ticket: { id: string; title: string; price: number };
}

export interface Payment {
  id: string;
  orderId: string;
  amount: number;
  providerId: string;
}
