import { app } from '@azure/functions';
import { getConfig } from '../shared/config';

/**
 * Under the Functions host, bad settings stop the app when it starts, with a message naming them, rather than at
 * the first request. (The local host checks the same settings itself before it loads the functions.)
 */
app.hook.appStart(() => {
  getConfig();
});
