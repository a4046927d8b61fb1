import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { newSigningKeyPem, signingKeyFromPem, type SigningKey } from '../../shared/domain/archive/digestSigning';
import type { ArchiveDeps } from '../../shared/operations/archive/archiveDeps';
import { ArchiveContainer } from '../../shared/store/archiveContainer';
import { blobServiceClient } from '../../shared/store/storageConnection';
import { AuditLog } from '../../shared/store/auditLog';
import { DueWorkStore, type ExpirationKind } from '../../shared/store/dueWork';
import { GrantStore } from '../../shared/store/grantStore';
import { SweepStates } from '../../shared/store/sweepStates';
import type { Tables } from '../../shared/store/tables';
import { testStorageConnectionString, testTables } from './testStorage';

/** A container that fails every write after `failAfter` of them: the fault hook that cuts a run off midway. */
export class FaultyContainer extends ArchiveContainer {
  failAfter = Infinity;
  writes = 0;

  override async put(path: string, bytes: Buffer, metadata?: Record<string, string>): Promise<void> {
    if (this.writes >= this.failAfter) throw new Error(`fault hook: the run is cut off before writing ${path}`);
    this.writes++;
    await super.put(path, bytes, metadata);
  }

  /** Every blob's name and bytes, with a digest's signature: what "the same bytes" compares. */
  async snapshot(): Promise<Record<string, string>> {
    const all: Record<string, string> = {};
    for await (const name of this.names()) {
      const blob = (await this.get(name))!;
      all[name] = `${blob.bytes.toString('utf8')}|${blob.metadata.signature ?? ''}`;
    }
    return all;
  }

  /** Replaces a blob whatever it held, as someone tampering with the archive would (the service never replaces one). */
  async overwrite(path: string, bytes: Buffer, metadata: Record<string, string> = {}): Promise<void> {
    await blobServiceClient(testStorageConnectionString()).getContainerClient(this.name).getBlockBlobClient(path).uploadData(bytes, { metadata });
  }

  async clear(): Promise<void> {
    for await (const name of this.names()) await this.delete(name);
  }
}

/** The archive's deps on Azurite with a clock the test sets, tables and a container of their own. */
export interface ArchiveWorld {
  deps: ArchiveDeps;
  tables: Tables;
  container: FaultyContainer;
  key: SigningKey;
  setNow(iso: string): void;
  /** Starts over with fresh sweep state (the archive forgets where it stood), keeping the tables' data. */
  forgetCheckpoint(): void;
  cleanUp(): Promise<void>;
}

export function archiveWorld(settings: { retentionDays?: number; maxFileBytes?: number } = {}): ArchiveWorld {
  const tables = testTables();
  const sweepTables = [tables];
  let now = DateTime.fromISO('2026-03-01T00:00:00Z', { zone: 'utc' });
  const clock = { now: () => now };
  const container = new FaultyContainer(testStorageConnectionString(), `a${randomBytes(5).toString('hex')}-audit-archive`);
  const key = signingKeyFromPem(newSigningKeyPem());
  const deps: ArchiveDeps = {
    audit: new AuditLog(tables, clock),
    sweeps: new SweepStates(tables),
    clock,
    grants: new GrantStore(tables),
    due: new DueWorkStore<ExpirationKind>(tables, 'dueWork'),
    archive: { container, signingKey: key, settleSeconds: 120, retentionDays: settings.retentionDays ?? 0, maxFileBytes: settings.maxFileBytes ?? 4096 },
  };
  return {
    deps,
    tables,
    container,
    key,
    setNow: (iso) => (now = DateTime.fromISO(iso, { zone: 'utc' })),
    forgetCheckpoint: () => {
      const fresh = testTables();
      sweepTables.push(fresh);
      deps.sweeps = new SweepStates(fresh);
    },
    cleanUp: async () => {
      await container.clear();
      for (const t of sweepTables) await t.deleteAll();
    },
  };
}
