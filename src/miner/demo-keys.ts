/**
 * The demo miners' hotkeys (`kinitro start` on the local chain): well-known dev URIs, so a restarted
 * appliance finds its demo miners registered and committed already. Only meaningful on the local
 * chain, where every key is a dev key anyway.
 */
export const MAX_DEMO_MINERS = 64;

export function demoMinerHotkeyUri(index: number): string {
  return `//kinitro-demo-miner-${index}`;
}
