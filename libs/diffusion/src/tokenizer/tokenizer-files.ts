import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

// Reads a transformers CLIPTokenizer folder: vocab.json, merges.txt, tokenizer_config.json and,
// when present, special_tokens_map.json and added_tokens.json.

export interface ClipTokenizerFiles {
  readonly vocab: ReadonlyMap<string, number>;
  readonly mergeRanks: ReadonlyMap<string, number>;
  readonly modelMaxLength: number;
  readonly bosToken: string;
  readonly eosToken: string;
  readonly unkToken: string;
  readonly padToken: string;
  /** Tokens split out of raw text before any other processing, with their ids. */
  readonly noSplitTokens: ReadonlyMap<string, number>;
}

const REQUIRED = 'a CLIP tokenizer folder needs vocab.json, merges.txt and tokenizer_config.json';
/** transformers' CLIPTokenizer reads at most this many merges (49152 - 256 - 2). */
const MAX_MERGES = 48894;
const MAX_MODEL_LENGTH = 16384;
/** CLIPTokenizer's defaults for tokens its config does not name. */
const DEFAULT_TOKENS = {
  bos_token: '<|startoftext|>',
  eos_token: '<|endoftext|>',
  unk_token: '<|endoftext|>',
  pad_token: '<|endoftext|>',
} as const;
type TokenField = keyof typeof DEFAULT_TOKENS;
const TOKEN_FIELDS = Object.keys(DEFAULT_TOKENS) as TokenField[];

async function readText(dir: string, name: string, required: boolean): Promise<string | undefined> {
  const path = join(dir, name);
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    if (required) throw new Error(`${path} is missing: ${REQUIRED}`);
    return undefined;
  }
}

function parseJsonObject(dir: string, name: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${join(dir, name)} is not valid JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${join(dir, name)} must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** A token field is a string or an AddedToken object ({"content": ...}); null means unset. */
function tokenContent(file: string, field: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  throw new Error(`${file}: ${field} must be a string or an object with a string "content", got ${JSON.stringify(value)}`);
}

function parseVocab(dir: string, text: string): Map<string, number> {
  const raw = parseJsonObject(dir, 'vocab.json', text);
  const vocab = new Map<string, number>();
  for (const token in raw) {
    const id = raw[token];
    if (!Number.isInteger(id) || (id as number) < 0) {
      throw new Error(`${join(dir, 'vocab.json')}: token ${JSON.stringify(token)} has id ${JSON.stringify(id)}, not an integer >= 0`);
    }
    vocab.set(token, id as number);
  }
  if (vocab.size === 0) throw new Error(`${join(dir, 'vocab.json')} holds no tokens`);
  return vocab;
}

/** Like transformers: the first line (the "#version" header) is skipped and the rank is the line index. */
function parseMerges(text: string): Map<string, number> {
  const lines = text.trim().split('\n').slice(1, 1 + MAX_MERGES);
  const ranks = new Map<string, number>();
  lines.forEach((line, rank) => {
    const pair = /^\s*(\S+)\s+(\S+)\s*$/.exec(line);
    if (pair) ranks.set(`${pair[1]} ${pair[2]}`, rank);
  });
  return ranks;
}

function parseModelMaxLength(file: string, value: unknown): number {
  if (value === undefined) {
    throw new Error(`${file}: model_max_length is missing (the text encoder's context length, 77 for Stable Diffusion)`);
  }
  if (!Number.isInteger(value) || (value as number) < 2 || (value as number) > MAX_MODEL_LENGTH) {
    throw new Error(`${file}: model_max_length must be an integer from 2 to ${MAX_MODEL_LENGTH}, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

/** Added tokens with explicit ids: tokenizer_config.json's added_tokens_decoder and added_tokens.json. */
function explicitAddedTokens(configFile: string, config: Record<string, unknown>, addedFile: string, added?: Record<string, unknown>): Map<string, number> {
  const tokens = new Map<string, number>();
  const decoder = config['added_tokens_decoder'];
  if (decoder !== undefined && decoder !== null) {
    if (typeof decoder !== 'object') throw new Error(`${configFile}: added_tokens_decoder must be an object`);
    for (const [id, entry] of Object.entries(decoder as Record<string, unknown>)) {
      const content = tokenContent(configFile, `added_tokens_decoder.${id}`, entry);
      if (!/^\d+$/.test(id) || content === undefined) throw new Error(`${configFile}: added_tokens_decoder.${id} is not an id with a token`);
      tokens.set(content, Number(id));
    }
  }
  for (const [token, id] of Object.entries(added ?? {})) {
    if (!Number.isInteger(id) || (id as number) < 0) throw new Error(`${addedFile}: token ${JSON.stringify(token)} has id ${JSON.stringify(id)}`);
    tokens.set(token, id as number);
  }
  return tokens;
}

export async function readClipTokenizerFiles(dir: string): Promise<ClipTokenizerFiles> {
  const [vocabText, mergesText, configText, mapText, addedText] = await Promise.all([
    readText(dir, 'vocab.json', true),
    readText(dir, 'merges.txt', true),
    readText(dir, 'tokenizer_config.json', true),
    readText(dir, 'special_tokens_map.json', false),
    readText(dir, 'added_tokens.json', false),
  ]);
  const configFile = join(dir, 'tokenizer_config.json');
  const mapFile = join(dir, 'special_tokens_map.json');
  const addedFile = join(dir, 'added_tokens.json');
  const vocab = parseVocab(dir, vocabText!);
  const config = parseJsonObject(dir, 'tokenizer_config.json', configText!);
  const tokenMap = mapText === undefined ? {} : parseJsonObject(dir, 'special_tokens_map.json', mapText);
  const added = addedText === undefined ? undefined : parseJsonObject(dir, 'added_tokens.json', addedText);
  const addedTokens = explicitAddedTokens(configFile, config, addedFile, added);

  // As in transformers' from_pretrained, special_tokens_map.json overrides tokenizer_config.json.
  const tokens = {} as Record<TokenField, string>;
  for (const field of TOKEN_FIELDS) {
    tokens[field] =
      tokenContent(mapFile, field, tokenMap[field]) ?? tokenContent(configFile, field, config[field]) ?? DEFAULT_TOKENS[field];
  }
  const extra = tokenMap['additional_special_tokens'] ?? config['additional_special_tokens'] ?? [];
  if (!Array.isArray(extra)) throw new Error(`${configFile}: additional_special_tokens must be a list`);
  const extraTokens = extra.map((t, i) => tokenContent(configFile, `additional_special_tokens[${i}]`, t) ?? '');

  const noSplitTokens = new Map(addedTokens);
  for (const [field, token] of [...TOKEN_FIELDS.map((f) => [f, tokens[f]] as const), ...extraTokens.map((t) => ['additional_special_tokens', t] as const)]) {
    if (token === '' || noSplitTokens.has(token)) continue;
    const id = vocab.get(token);
    if (id === undefined) throw new Error(`${configFile}: ${field} ${JSON.stringify(token)} is not in vocab.json`);
    noSplitTokens.set(token, id);
  }

  return {
    vocab,
    mergeRanks: parseMerges(mergesText!),
    modelMaxLength: parseModelMaxLength(configFile, config['model_max_length']),
    bosToken: tokens.bos_token,
    eosToken: tokens.eos_token,
    unkToken: tokens.unk_token,
    padToken: tokens.pad_token,
    noSplitTokens,
  };
}
