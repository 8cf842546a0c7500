import { describe, expect, it } from 'vitest';
import { cloudSettings, SettingsError } from '../../infra/local/cloud-runtime.ts';

describe('the local cloud\'s settings', () => {
  it('shortens Step Functions waits and retries by default, and waits as AWS does when told to', () => {
    expect(cloudSettings({}, {}).timing).toEqual({ waitScale: 0.05, retryScale: 0.1 });
    expect(cloudSettings({}, { LOCAL_CLOUD_WAIT_SCALE: '1', LOCAL_CLOUD_RETRY_SCALE: '1' }).timing).toEqual({ waitScale: 1, retryScale: 1 });
  });

  it('refuses a factor that is not a non-negative number, naming the setting', () => {
    expect(() => cloudSettings({}, { LOCAL_CLOUD_WAIT_SCALE: 'fast' })).toThrow(SettingsError);
    expect(() => cloudSettings({}, { LOCAL_CLOUD_RETRY_SCALE: '-1' })).toThrow('LOCAL_CLOUD_RETRY_SCALE must be a non-negative number, got "-1"');
  });
});
