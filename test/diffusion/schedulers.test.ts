import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { TorchGenerator } from '../../libs/diffusion/src/random/torch-generator';
import {
  createScheduler,
  parsePythonJson,
  parseSchedulerConfigJson,
  SUPPORTED_SCHEDULERS,
  type NoiseSource,
  type Scheduler,
} from '../../libs/diffusion/src/schedulers';
import { readSafetensors } from '../../libs/diffusion/src/weights/safetensors';
import { fixtureExpected, fixtureModel, type FixtureName } from '../support/paths';

const FIXTURES: readonly FixtureName[] = ['tiny-sd15', 'tiny-sd21v'];
const f32 = Math.fround;

interface RolloutCase {
  readonly key: string;
  readonly scheduler: string;
  readonly config: Record<string, unknown>;
  readonly resolved_config: Record<string, unknown>;
  readonly steps: number;
  readonly timesteps: number[];
  readonly init_noise_sigma: number;
}

function rolloutCases(fixture: FixtureName): RolloutCase[] {
  return parsePythonJson(readFileSync(join(fixtureExpected(fixture), 'schedulers.json'), 'utf8')) as RolloutCase[];
}

function modelSchedulerConfig(fixture: FixtureName): Record<string, unknown> {
  return parseSchedulerConfigJson(readFileSync(join(fixtureModel(fixture), 'scheduler', 'scheduler_config.json'), 'utf8'));
}

/** The fixture README's rollout, with the model output computed in float32 as torch does. */
function rollout(scheduler: Scheduler, init: Float32Array, steps: number, noise?: NoiseSource): Float32Array {
  scheduler.setTimesteps(steps);
  let x: Float32Array = init.map((v) => v * scheduler.initNoiseSigma);
  for (const t of scheduler.timesteps) {
    const modelOutput = scheduler.scaleModelInput(x, t).map((v) => f32(f32(v * f32(0.3)) + f32(f32(0.01) * f32(t))));
    x = scheduler.step(modelOutput, t, x, noise);
  }
  return x;
}

function relativeL2(actual: Float32Array, expected: Float32Array): number {
  assert.equal(actual.length, expected.length);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < actual.length; i++) {
    diff += (actual[i]! - expected[i]!) ** 2;
    norm += expected[i]! ** 2;
  }
  return Math.sqrt(diff / norm);
}

for (const fixture of FIXTURES) {
  describe(`scheduler rollouts equal diffusers 0.24 (${fixture})`, async () => {
    const tensors = await readSafetensors(join(fixtureExpected(fixture), 'tensors.safetensors'));
    const cases = rolloutCases(fixture);
    assert.equal(cases.length, 18, 'every scheduler case of the fixture');

    for (const c of cases) {
      test(c.key, () => {
        const scheduler = createScheduler({ ...c.config, _class_name: c.scheduler });
        assert.equal(scheduler.name, c.scheduler);
        for (const [field, value] of Object.entries(scheduler.config)) {
          assert.ok(field in c.resolved_config, `${field} is a field diffusers' ${c.scheduler} has`);
          assert.deepEqual(value, c.resolved_config[field], `resolved config field ${field}`);
        }
        const init = tensors.get(`${c.key}.init`);
        const expected = tensors.get(`${c.key}.final`);
        assert.ok(init && expected, `tensors ${c.key}.init/.final`);
        const final = rollout(scheduler, init.data, c.steps);
        assert.deepEqual(scheduler.timesteps, c.timesteps);
        assert.equal(scheduler.initNoiseSigma, c.init_noise_sigma);
        const error = relativeL2(final, expected.data);
        assert.ok(error <= 1e-5, `relative L2 error ${error.toExponential(2)} > 1e-5`);
      });
    }
  });
}

/** diffusers' test helper `dummy_sample_deter`: arange(768) laid out (3, 8, 8, 4), / 768, permuted to (4, 3, 8, 8). */
function dummySampleDeter(): Float32Array {
  const out = new Float32Array(768);
  for (let b = 0; b < 4; b++) {
    for (let c = 0; c < 3; c++) {
      for (let h = 0; h < 8; h++) {
        for (let w = 0; w < 8; w++) out[((b * 3 + c) * 8 + h) * 8 + w] = f32((c * 256 + h * 32 + w * 4 + b) / 768);
      }
    }
  }
  return out;
}

/** diffusers' test helper `dummy_model`: sample * t / (t + 1). */
const dummyModel = (x: Float32Array, t: number) => x.map((v) => f32(f32(v * t) / f32(t + 1)));

function sumAndMeanAbs(x: Float32Array): { sum: number; mean: number } {
  const sum = x.reduce((acc, v) => acc + Math.abs(v), 0);
  return { sum, mean: sum / x.length };
}

/** diffusers' DDIM / PNDM / DPM-Solver test loop. */
function plainLoop(scheduler: Scheduler): Float32Array {
  scheduler.setTimesteps(10);
  let x: Float32Array = dummySampleDeter();
  for (const t of scheduler.timesteps) x = scheduler.step(dummyModel(x, t), t, x);
  return x;
}

/** diffusers' Euler / LMS test loop (which feeds the scaled sample to `step`), noise from torch.manual_seed(0). */
function sigmaLoop(scheduler: Scheduler): Float32Array {
  scheduler.setTimesteps(10);
  const generator = new TorchGenerator(0);
  let x: Float32Array = dummySampleDeter().map((v) => v * scheduler.initNoiseSigma);
  for (const t of scheduler.timesteps) {
    x = scheduler.scaleModelInput(x, t);
    x = scheduler.step(dummyModel(x, t), t, x, () => generator.randn([4, 3, 8, 8]));
  }
  return x;
}

describe("diffusers' own scheduler tests (full loops on linear betas; expected values and tolerances from tests/schedulers)", () => {
  const linear = { num_train_timesteps: 1000, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear' };
  const linear1100 = { ...linear, num_train_timesteps: 1100 };
  const dpm = { ...linear, solver_order: 2, algorithm_type: 'dpmsolver++', lower_order_final: false };
  const cases: { name: string; className: string; config: Record<string, unknown>; loop: (s: Scheduler) => Float32Array; sum?: number; mean: number }[] = [
    { name: 'DDIM', className: 'DDIMScheduler', config: { ...linear, clip_sample: true }, loop: plainLoop, sum: 172.0067, mean: 0.223967 },
    { name: 'DDIM v_prediction', className: 'DDIMScheduler', config: { ...linear, clip_sample: true, prediction_type: 'v_prediction' }, loop: plainLoop, sum: 52.5302, mean: 0.0684 },
    { name: 'DDIM set_alpha_to_one', className: 'DDIMScheduler', config: { ...linear, clip_sample: true, set_alpha_to_one: true, beta_start: 0.01 }, loop: plainLoop, sum: 149.8295, mean: 0.1951 },
    { name: 'DDIM no set_alpha_to_one', className: 'DDIMScheduler', config: { ...linear, clip_sample: true, set_alpha_to_one: false, beta_start: 0.01 }, loop: plainLoop, sum: 149.0784, mean: 0.1941 },
    { name: 'PNDM with PRK warm-up', className: 'PNDMScheduler', config: linear, loop: plainLoop, sum: 198.1318, mean: 0.258 },
    { name: 'PNDM with PRK, v_prediction', className: 'PNDMScheduler', config: { ...linear, prediction_type: 'v_prediction' }, loop: plainLoop, sum: 67.3986, mean: 0.0878 },
    { name: 'PNDM set_alpha_to_one', className: 'PNDMScheduler', config: { ...linear, set_alpha_to_one: true, beta_start: 0.01 }, loop: plainLoop, sum: 230.0399, mean: 0.2995 },
    { name: 'PNDM no set_alpha_to_one', className: 'PNDMScheduler', config: { ...linear, set_alpha_to_one: false, beta_start: 0.01 }, loop: plainLoop, sum: 186.9482, mean: 0.2434 },
    { name: 'EulerDiscrete', className: 'EulerDiscreteScheduler', config: linear1100, loop: sigmaLoop, sum: 10.0807, mean: 0.0131 },
    { name: 'EulerDiscrete v_prediction', className: 'EulerDiscreteScheduler', config: { ...linear1100, prediction_type: 'v_prediction' }, loop: sigmaLoop, sum: 0.0002, mean: 2.2676e-6 },
    { name: 'EulerDiscrete Karras sigmas', className: 'EulerDiscreteScheduler', config: { ...linear1100, use_karras_sigmas: true }, loop: sigmaLoop, sum: 124.52299499511719, mean: 0.16213932633399963 },
    { name: 'EulerAncestralDiscrete (torch noise)', className: 'EulerAncestralDiscreteScheduler', config: linear1100, loop: sigmaLoop, sum: 152.3192, mean: 0.1983 },
    { name: 'EulerAncestralDiscrete v_prediction', className: 'EulerAncestralDiscreteScheduler', config: { ...linear1100, prediction_type: 'v_prediction' }, loop: sigmaLoop, sum: 108.4439, mean: 0.1412 },
    { name: 'LMSDiscrete', className: 'LMSDiscreteScheduler', config: linear1100, loop: sigmaLoop, sum: 1006.388, mean: 1.31 },
    { name: 'LMSDiscrete v_prediction', className: 'LMSDiscreteScheduler', config: { ...linear1100, prediction_type: 'v_prediction' }, loop: sigmaLoop, sum: 0.0017, mean: 2.2676e-6 },
    { name: 'LMSDiscrete Karras sigmas', className: 'LMSDiscreteScheduler', config: { ...linear1100, use_karras_sigmas: true }, loop: sigmaLoop, sum: 3812.9927, mean: 4.9648 },
    { name: 'DPMSolverMultistep', className: 'DPMSolverMultistepScheduler', config: dpm, loop: plainLoop, mean: 0.3301 },
    { name: 'DPMSolverMultistep v_prediction', className: 'DPMSolverMultistepScheduler', config: { ...dpm, prediction_type: 'v_prediction' }, loop: plainLoop, mean: 0.2251 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const { sum, mean } = sumAndMeanAbs(c.loop(createScheduler(c.config, c.className)));
      if (c.sum !== undefined) assert.ok(Math.abs(sum - c.sum) < 1e-2, `sum |x| = ${sum}, diffusers: ${c.sum}`);
      assert.ok(Math.abs(mean - c.mean) < 1e-3, `mean |x| = ${mean}, diffusers: ${c.mean}`);
    });
  }

  test('DDIM leading spacing with steps_offset', () => {
    const scheduler = createScheduler({ ...linear, steps_offset: 1 }, 'DDIMScheduler');
    scheduler.setTimesteps(5);
    assert.deepEqual(scheduler.timesteps, [801, 601, 401, 201, 1]);
  });

  test('PNDM timesteps with the PRK warm-up', () => {
    const scheduler = createScheduler({ ...linear, steps_offset: 1 }, 'PNDMScheduler');
    scheduler.setTimesteps(10);
    assert.deepEqual(scheduler.timesteps, [901, 851, 851, 801, 801, 751, 751, 701, 701, 651, 651, 601, 601, 501, 401, 301, 201, 101, 1]);
  });
});

describe('createScheduler', () => {
  test("builds the model folder's own scheduler", () => {
    assert.equal(createScheduler(modelSchedulerConfig('tiny-sd15')).name, 'PNDMScheduler');
    assert.equal(createScheduler(modelSchedulerConfig('tiny-sd21v')).name, 'DDIMScheduler');
  });

  test('overriding the class keeps the shared fields and reproduces that class', async () => {
    const config = modelSchedulerConfig('tiny-sd21v');
    const scheduler = createScheduler(config, 'EulerDiscreteScheduler');
    assert.equal(scheduler.name, 'EulerDiscreteScheduler');
    assert.equal(scheduler.config.prediction_type, 'v_prediction');
    assert.equal(scheduler.config.beta_schedule, 'scaled_linear');
    assert.equal(scheduler.config.beta_start, 0.00085);
    assert.equal(scheduler.config.steps_offset, 1);
    assert.equal(scheduler.config.timestep_spacing, 'linspace', "the config names none, so EulerDiscrete's default");

    const tensors = await readSafetensors(join(fixtureExpected('tiny-sd21v'), 'tensors.safetensors'));
    const final = rollout(scheduler, tensors.get('sched.EulerDiscreteScheduler.7.init')!.data, 7);
    assert.ok(relativeL2(final, tensors.get('sched.EulerDiscreteScheduler.7.final')!.data) <= 1e-5);
  });

  test('every supported class can be built from an SD config', () => {
    assert.equal(SUPPORTED_SCHEDULERS.length, 6);
    for (const name of SUPPORTED_SCHEDULERS) {
      const scheduler = createScheduler(modelSchedulerConfig('tiny-sd15'), name);
      assert.equal(scheduler.name, name);
      scheduler.setTimesteps(4);
      assert.ok(scheduler.timesteps.length >= 4);
    }
  });

  test('an unknown class is an error that lists the supported ones', () => {
    assert.throws(() => createScheduler(modelSchedulerConfig('tiny-sd15'), 'UniPCMultistepScheduler'), (e: Error) => {
      assert.match(e.message, /UniPCMultistepScheduler/);
      for (const name of SUPPORTED_SCHEDULERS) assert.ok(e.message.includes(name), `lists ${name}`);
      return true;
    });
    assert.throws(() => createScheduler({ beta_schedule: 'linear' }), /_class_name/);
  });

  test('bad or unimplemented config values name the field', () => {
    assert.throws(() => createScheduler({ _class_name: 'DDIMScheduler', beta_schedule: 'cubic' }), /"beta_schedule".*"linear", "scaled_linear", "squaredcos_cap_v2"/);
    assert.throws(() => createScheduler({ _class_name: 'EulerDiscreteScheduler', prediction_type: 'x0' }), /"prediction_type"/);
    assert.throws(() => createScheduler({ _class_name: 'DPMSolverMultistepScheduler', algorithm_type: 'sde-dpmsolver++' }), /"algorithm_type".*sde-dpmsolver\+\+/);
    assert.throws(() => createScheduler({ _class_name: 'DPMSolverMultistepScheduler', solver_order: 3 }), /"solver_order"/);
    assert.throws(() => createScheduler({ _class_name: 'PNDMScheduler', prediction_type: 'sample' }), /"prediction_type"/);
    assert.throws(() => createScheduler({ _class_name: 'DDIMScheduler', trained_betas: [0.1, 0.2], num_train_timesteps: 3 }), /trained_betas.*2 values.*3/);
  });

  test('accepts the -Infinity that diffusers writes for lambda_min_clipped', () => {
    const config = parseSchedulerConfigJson('{"_class_name": "DPMSolverMultistepScheduler", "lambda_min_clipped": -Infinity}');
    assert.equal(createScheduler(config).config['lambda_min_clipped'], -Infinity);
  });
});

describe('step order', () => {
  test('steps must follow setTimesteps, once per timestep, in order', () => {
    const scheduler = createScheduler(modelSchedulerConfig('tiny-sd15'), 'DPMSolverMultistepScheduler');
    const x = new Float32Array(8);
    assert.throws(() => scheduler.step(x, 999, x), /setTimesteps/);
    scheduler.setTimesteps(3);
    const [t0, t1, t2] = scheduler.timesteps as [number, number, number];
    assert.throws(() => scheduler.step(x, t1, x), new RegExp(`expected timestep ${t0}`));
    scheduler.step(x, t0, x);
    scheduler.step(x, t1, x);
    scheduler.step(x, t2, x);
    assert.throws(() => scheduler.step(x, t2, x), /all 3 steps are done/);
    assert.throws(() => scheduler.step(new Float32Array(4), t0, x), /modelOutput has 4 values, sample has 8/);
  });

  test('PNDM with the PRK warm-up needs at least 4 steps', () => {
    const scheduler = createScheduler({ skip_prk_steps: false }, 'PNDMScheduler');
    assert.throws(() => scheduler.setTimesteps(3), /at least 4/);
  });
});

describe('EulerAncestralDiscreteScheduler', () => {
  const init = Float32Array.from({ length: 2 * 4 * 4 * 6 }, (_, i) => Math.sin(i));
  const run = (seed: number) => {
    const generator = new TorchGenerator(seed);
    let draws = 0;
    const scheduler = createScheduler(modelSchedulerConfig('tiny-sd15'), 'EulerAncestralDiscreteScheduler');
    const final = rollout(scheduler, init, 12, () => (draws++, generator.randn([2, 4, 4, 6])));
    return { final, draws };
  };

  test('is finite and deterministic for a fixed noise source', () => {
    const a = run(7);
    const b = run(7);
    assert.ok(a.final.every(Number.isFinite));
    assert.deepEqual(a.final, b.final);
    assert.equal(a.draws, 12, 'one draw per step, as diffusers draws');
    assert.ok(relativeL2(run(8).final, a.final) > 1e-3, 'another seed gives another result');
  });

  test('needs a noise source', () => {
    const scheduler = createScheduler(modelSchedulerConfig('tiny-sd15'), 'EulerAncestralDiscreteScheduler');
    scheduler.setTimesteps(2);
    const x = new Float32Array(4);
    assert.throws(() => scheduler.step(x, scheduler.timesteps[0]!, x), /noise source/);
  });
});
