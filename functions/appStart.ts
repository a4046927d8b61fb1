import { app } from '@azure/functions';
import { getConfig } from '../shared/config';

/**
 * Under the Functions host, bad settings stop the app when it starts, with a message naming them, rather than at
 * the first request. (The local host checks the same settings itself before it loads the functions.)
 */
app.hook.appStart(() => {
  getConfig();
});

/**
 * Responses whose body is a stream (CSV reports, DESIGN §2.8) go out as they are made instead of being gathered
 * whole first: a report of 100,000 rows stays in bounded memory on Azure too. Needs Functions host 4.28 or later.
 */
app.setup({ enableHttpStream: true });
