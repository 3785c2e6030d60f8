/**
 * STS economy, in this process against the real handlers and the STS emulator answering after
 * 50 ms: how many AssumeRole calls a crowd of identities costs, how many a burst of concurrent first
 * requests of one identity costs, and how many presigned URLs at the maximum TTL cost one identity
 * over a whole credential lifetime (on a simulated clock).
 */
import { createSignRequestHandler } from '../../functions/sign-request/create-handler';
import { createVendTokenHandler } from '../../functions/vend-token/create-handler';
import { type DemoIssuer, createDemoIssuer } from '../../local/demo-issuer';
import { StsEmulator } from '../../local/sts-emulator';
import { loadConfig } from '../../shared/config/load-config';
import { createLogger } from '../../shared/log';
import { StsClient } from '../../shared/sts/sts-client';
import { AUDIENCE, BUCKET, ISSUER, functionRequest, functionSettings, httpEvent, round, runPool } from './common';

export const STS_LATENCY_MS = 50;
const IDENTITIES = 1_000;
const REQUESTS_PER_IDENTITY = 20;
const CONCURRENCY = 200;
const BURST = 100;
const PRESIGNED_URLS = 1_000;

type CacheOutcome = 'hit' | 'miss' | 'coalesced' | 'stale';

export interface StsEconomyResult {
  stsLatencyMs: number;
  crowd: {
    identities: number;
    requestsPerIdentity: number;
    concurrency: number;
    assumeRoleCalls: number;
    expected: number;
    failures: number;
    cache: Record<CacheOutcome, number>;
    elapsedMs: number;
  };
  burst: { requests: number; assumeRoleCalls: number; expected: number; failures: number; cache: Record<CacheOutcome, number>; elapsedMs: number };
  presign: PresignResult;
}

/** Presigned URLs at the maximum TTL by one identity, spread evenly over one credential lifetime. */
export interface PresignResult {
  urls: number;
  durationSeconds: number;
  maxUrlTtlSeconds: number;
  assumeRoleCalls: number;
  /** At most this many: with the TTL at most half the duration, a renewal every half lifetime. */
  atMost: number;
  failures: number;
}

export async function measureStsEconomy(log: (line: string) => void): Promise<StsEconomyResult> {
  const sts = await StsEmulator.start({ latencyMs: STS_LATENCY_MS });
  try {
    const issuer = await createDemoIssuer(ISSUER, AUDIENCE);
    const credentials = sts.createFunctionCredentials();
    const settings = functionSettings({ url: sts.url, roleArn: sts.defaultRoleArn }, issuer);
    // Each handler gets a logger that only counts cache outcomes: no log I/O in the measurement.
    const countingHandler = () => {
      const cache: Record<CacheOutcome, number> = { hit: 0, miss: 0, coalesced: 0, stale: 0 };
      const sink = (line: string): void => {
        const outcome = /"cache":"(hit|miss|coalesced|stale)"/.exec(line)?.[1] as CacheOutcome | undefined;
        if (outcome) cache[outcome] += 1;
      };
      return { cache, handler: createVendTokenHandler(settings, { logger: createLogger(sink) }) };
    };
    const subjects = Array.from({ length: IDENTITIES }, (_, index) => `id-${String(index).padStart(4, '0')}`);
    const events = (await Promise.all(subjects.map((subject) => issuer.issue(subject, 24 * 3600))))
      .map((token, index) => httpEvent(functionRequest('vend-token', token, subjects[index] as string)));

    // 1,000 identities × 20 requests, interleaved: request k is identity k mod 1,000.
    const crowd = countingHandler();
    let crowdFailures = 0;
    sts.reset();
    const crowdStarted = performance.now();
    await runPool(0, IDENTITIES * REQUESTS_PER_IDENTITY, CONCURRENCY, async (k) => {
      const response = await crowd.handler(events[k % IDENTITIES], { requestId: `crowd-${k}`, credentials });
      if (response.statusCode !== 200) crowdFailures += 1;
    });
    const crowdElapsed = performance.now() - crowdStarted;
    const crowdCalls = sts.assumeRoleCalls;
    log(`  sts: ${IDENTITIES} identities × ${REQUESTS_PER_IDENTITY}: ${crowdCalls} AssumeRole calls in ${Math.round(crowdElapsed)} ms`);

    // 100 concurrent first requests of one identity, on a fresh instance.
    const burst = countingHandler();
    const burstEvent = httpEvent(functionRequest('vend-token', await issuer.issue('burst-user', 24 * 3600), 'burst-user'));
    sts.reset();
    const burstStarted = performance.now();
    const responses = await Promise.all(Array.from({ length: BURST }, (_, index) => burst.handler(burstEvent, { requestId: `burst-${index}`, credentials })));
    const burstElapsed = performance.now() - burstStarted;
    const burstCalls = sts.assumeRoleCalls;
    log(`  sts: ${BURST} concurrent first requests of one identity: ${burstCalls} AssumeRole call(s)`);

    return {
      stsLatencyMs: STS_LATENCY_MS,
      crowd: {
        identities: IDENTITIES,
        requestsPerIdentity: REQUESTS_PER_IDENTITY,
        concurrency: CONCURRENCY,
        assumeRoleCalls: crowdCalls,
        expected: IDENTITIES,
        failures: crowdFailures,
        cache: crowd.cache,
        elapsedMs: round(crowdElapsed, 0),
      },
      burst: {
        requests: BURST,
        assumeRoleCalls: burstCalls,
        expected: 1,
        failures: responses.filter((response) => response.statusCode !== 200).length,
        cache: burst.cache,
        elapsedMs: round(burstElapsed, 0),
      },
      presign: await measurePresign(issuer, log),
    };
  } finally {
    await sts.close();
  }
}

/**
 * sign-request, STS client and STS on one simulated clock, moved on by a thousandth of the
 * credential lifetime between signings, so a whole lifetime passes in a moment.
 */
async function measurePresign(issuer: DemoIssuer, log: (line: string) => void): Promise<PresignResult> {
  let clock = Math.floor(Date.now() / 1000) * 1000;
  const sts = await StsEmulator.start({ now: () => clock });
  try {
    const settings = functionSettings({ url: sts.url, roleArn: sts.defaultRoleArn }, issuer);
    const { durationSeconds, signing } = loadConfig(settings);
    const handler = createSignRequestHandler(settings, { sts: new StsClient({ endpoint: sts.url, now: () => clock }), now: () => clock, logger: createLogger(() => undefined) });
    const credentials = sts.createFunctionCredentials();
    const token = await issuer.issue('presigner', 24 * 3600);
    let failures = 0;
    for (let index = 0; index < PRESIGNED_URLS; index++) {
      const expires = Math.floor(clock / 1000) + signing.maxUrlTtlSeconds;
      const request = { method: 'POST' as const, headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain; charset=utf-8' }, body: `GET\n\n\n${expires}\n/${BUCKET}/users/presigner/a.jpg` };
      const response = await handler(httpEvent(request), { requestId: `presign-${index}`, credentials });
      if (response.statusCode !== 200) failures += 1;
      clock += (durationSeconds * 1000) / PRESIGNED_URLS;
    }
    log(`  sts: ${PRESIGNED_URLS} presigned URLs of ${signing.maxUrlTtlSeconds} s over a ${durationSeconds} s credential lifetime: ${sts.assumeRoleCalls} AssumeRole calls`);
    return { urls: PRESIGNED_URLS, durationSeconds, maxUrlTtlSeconds: signing.maxUrlTtlSeconds, assumeRoleCalls: sts.assumeRoleCalls, atMost: 2, failures };
  } finally {
    await sts.close();
  }
}
