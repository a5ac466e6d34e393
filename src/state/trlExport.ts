import { openDb } from '../store/db';
import { errorMessage } from '../util/errorMessage';
import { NotExportable, trlBundleOfRun } from './trlBundleOfRun';

/** Downloads a saved run's "Continue in TRL" zip. Returns '' on success or a plain-text problem for the UI. */
export async function downloadTrlBundle(runId: string): Promise<string> {
  const db = await openDb();
  try {
    const { zip, fileName, note } = await trlBundleOfRun(db, runId);
    const url = URL.createObjectURL(new Blob([zip as BlobPart], { type: 'application/zip' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = fileName;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    return note;
  } catch (e) {
    return e instanceof NotExportable ? e.message : `Export failed: ${errorMessage(e)}`;
  } finally {
    db.close();
  }
}
