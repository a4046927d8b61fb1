import { render } from 'preact';
import { App } from './app';
import { useLocalPrincipal } from './graph';
import { readSettings } from './settings';
import './styles.css';

const settings = readSettings();
useLocalPrincipal(settings.localSignIn?.signedIn?.principal);
const root = document.getElementById('app')!;
// The server's "Loading" line is replaced, not diffed against.
root.replaceChildren();
render(<App settings={settings} />, root);
