import type {
  AddInput,
  AddResult,
  HistoryEvent,
  ListOptions,
  Memory,
  MemoryPage,
  Scope,
  ScoredMemory,
  SearchOptions,
  StoreStats,
  UpdatePatch,
} from "../core/types.js";
import type { MemoryStore, StoreHealth } from "./memory-store.js";
import { checkId } from "./validate-args.js";
import {
  type CheckedAdd,
  type CheckedFilters,
  type CheckedList,
  type CheckedPatch,
  type CheckedSearch,
  checkAddInput,
  checkAddMany,
  checkList,
  checkPatch,
  checkScope,
  checkSearch,
  checkUserId,
} from "./validate-input.js";

/**
 * The `MemoryStore` contract checked once, at the interface: every public
 * method validates and normalises its arguments (validate-input.ts) with the
 * same rules and messages, then calls the backend's `…Checked` method with
 * values it can trust. A backend extends this class and implements only
 * those, so a new backend cannot forget a check or word it differently.
 */
export abstract class CheckedMemoryStore implements MemoryStore {
  abstract readonly backend: string;
  /** The largest `limit` a search may ask for on this backend. */
  protected readonly maxSearchLimit: number = 1000;

  protected abstract addChecked(input: CheckedAdd): Promise<AddResult>;
  protected abstract addManyChecked(
    inputs: CheckedAdd[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<AddResult[]>;
  protected abstract searchChecked(search: CheckedSearch): Promise<ScoredMemory[]>;
  protected abstract listChecked(list: CheckedList): Promise<MemoryPage>;
  protected abstract getChecked(id: string, userId: string | undefined): Promise<Memory | null>;
  protected abstract updateChecked(id: string, patch: CheckedPatch): Promise<Memory>;
  protected abstract deleteChecked(id: string): Promise<void>;
  protected abstract deleteAllChecked(scope: CheckedFilters): Promise<number>;
  protected abstract historyChecked(id: string): Promise<HistoryEvent[]>;
  protected abstract statsChecked(userId: string | undefined): Promise<StoreStats>;

  abstract health(): Promise<StoreHealth>;
  abstract close(): Promise<void>;

  async add(input: AddInput): Promise<AddResult> {
    return this.addChecked(checkAddInput(input));
  }

  /** Every item is checked before anything is written: one bad item fails the call. */
  async addMany(
    inputs: AddInput[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<AddResult[]> {
    return this.addManyChecked(checkAddMany(inputs), onProgress);
  }

  async search(query: string, options: SearchOptions): Promise<ScoredMemory[]> {
    return this.searchChecked(checkSearch(query, options, this.maxSearchLimit));
  }

  async list(options: ListOptions): Promise<MemoryPage> {
    return this.listChecked(checkList(options));
  }

  async get(id: string, userId?: string): Promise<Memory | null> {
    return this.getChecked(checkId(id), userId === undefined ? undefined : checkUserId(userId));
  }

  async update(id: string, patch: UpdatePatch): Promise<Memory> {
    return this.updateChecked(checkId(id), checkPatch(patch));
  }

  async delete(id: string): Promise<void> {
    return this.deleteChecked(checkId(id));
  }

  async deleteAll(scope: Scope): Promise<number> {
    return this.deleteAllChecked(checkScope(scope));
  }

  async history(id: string): Promise<HistoryEvent[]> {
    return this.historyChecked(checkId(id));
  }

  async stats(userId?: string): Promise<StoreStats> {
    return this.statsChecked(userId === undefined ? undefined : checkUserId(userId));
  }
}
