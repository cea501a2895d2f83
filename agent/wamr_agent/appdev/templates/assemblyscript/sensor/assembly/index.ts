// {{name}}: reads a temperature sensor, publishes it as telemetry and logs it.
//
// A reactor app: the device calls setup() once after load, then loop()
// periodically; a non-zero result is reported as the app's status.
// Needs the LOG, SENSOR and TELEMETRY capabilities (wamr.toml's grants).
// `wamr_agent` is the binding wamr-agent build passes to asc (docs/app-languages.md).

const CH_TEMPERATURE = 0;

/** v with one decimal ("21.3", "30.0"). */
function tenths(v: f32): string {
  return (Math.round(v * 10) / 10).toString();
}

export function setup(): i32 {
  wamr_agent.log("{{name}} started");
  return wamr_agent.OK;
}

export function loop(): i32 {
  const temp = wamr_agent.sensorRead(CH_TEMPERATURE);
  const rc = wamr_agent.lastStatus();
  if (rc != wamr_agent.OK) {
    if (rc == wamr_agent.ERR_NOT_FOUND) wamr_agent.log("no temperature data");
    return rc;
  }
  wamr_agent.publish("temp_c", temp);
  wamr_agent.log("temperature " + tenths(temp) + " C");
  return wamr_agent.OK;
}
