import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { u8aToHex } from '@polkadot/util';
import { mnemonicGenerate } from '@polkadot/util-crypto';
import { hotkeyFromUri, KeyError, loadHotkey, walletHotkeyFile, writeWalletHotkeyFile } from '../src/chain/keys.ts';

const ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kinitro-wallet-'));
}

test('dev URIs and mnemonics give sr25519 hotkeys with SS58 prefix 42', async (t) => {
  const alice = await hotkeyFromUri('//Alice');
  t.is(alice.address, ALICE);
  t.is(alice.type, 'sr25519');
  const phrase = mnemonicGenerate();
  t.is((await hotkeyFromUri(phrase)).address, (await hotkeyFromUri(` ${phrase} `)).address);
  await t.throwsAsync(hotkeyFromUri('not a valid mnemonic at all'), { instanceOf: KeyError });
  t.is((await hotkeyFromUri(`${phrase}//hot/1`)).type, 'sr25519');
});

test('a Bittensor wallet hotkey file is read by phrase, else seed, else private key; --wallet-path is respected', async (t) => {
  const root = tempDir();
  try {
    const phrase = mnemonicGenerate();
    const file = walletHotkeyFile({ walletPath: root, walletName: 'w1', hotkeyName: 'h1' });
    t.is(file, path.join(root, 'w1', 'hotkeys', 'h1'));
    const written = await writeWalletHotkeyFile(file, phrase);
    const loaded = await loadHotkey({ walletPath: root, walletName: 'w1', hotkeyName: 'h1' });
    t.is(loaded.address, written.address);

    // Seed only (no phrase): same key.
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    const seedOnly = path.join(root, 'w1', 'hotkeys', 'seed');
    fs.writeFileSync(seedOnly, JSON.stringify({ secretSeed: data.secretSeed, ss58Address: data.ss58Address }));
    t.is((await loadHotkey({ walletPath: root, walletName: 'w1', hotkeyName: 'seed' })).address, written.address);

    // Private key only (64-byte sr25519 secret): it must sign for its public key.
    const secret = written.encodePkcs8().slice(16, 80);
    const privOnly = path.join(root, 'w1', 'hotkeys', 'priv');
    fs.writeFileSync(privOnly, JSON.stringify({ privateKey: u8aToHex(secret), publicKey: data.publicKey }));
    t.is((await loadHotkey({ walletPath: root, walletName: 'w1', hotkeyName: 'priv' })).address, written.address);
    const other = (await hotkeyFromUri('//Bob')).publicKey;
    fs.writeFileSync(privOnly, JSON.stringify({ privateKey: u8aToHex(secret), publicKey: u8aToHex(other) }));
    await t.throwsAsync(loadHotkey({ walletPath: root, walletName: 'w1', hotkeyName: 'priv' }), { message: /privateKey does not match publicKey/ });

    // The URI wins over the wallet.
    t.is((await loadHotkey({ hotkeyUri: '//Alice', walletPath: root, walletName: 'w1', hotkeyName: 'h1' })).address, ALICE);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('encrypted, inconsistent and missing hotkey files are refused with a clear message', async (t) => {
  const root = tempDir();
  try {
    const dir = path.join(root, 'w', 'hotkeys');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'enc'), '$NACL' + 'x'.repeat(40));
    await t.throwsAsync(loadHotkey({ walletPath: root, walletName: 'w', hotkeyName: 'enc' }), { message: /encrypted/ });
    const phrase = mnemonicGenerate();
    fs.writeFileSync(path.join(dir, 'lie'), JSON.stringify({ secretPhrase: phrase, ss58Address: ALICE }));
    await t.throwsAsync(loadHotkey({ walletPath: root, walletName: 'w', hotkeyName: 'lie' }), { message: /derives .* but the file says/ });
    await t.throwsAsync(loadHotkey({ walletPath: root, walletName: 'w', hotkeyName: 'absent' }), { message: /no such file/ });
    fs.writeFileSync(path.join(dir, 'empty'), '{}');
    await t.throwsAsync(loadHotkey({ walletPath: root, walletName: 'w', hotkeyName: 'empty' }), { message: /no secretPhrase, secretSeed or privateKey/ });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
