// {{name}}: a control loop. Switches a fan on above FAN_ON_C and off below
// FAN_OFF_C (the gap keeps sensor noise from flapping it), logs each decision
// and publishes the fan's state as telemetry every loop.
//
// The native API has no outputs yet: the decision is the log line and the
// `fan` telemetry (1 = on), which a gateway or controller can act on.
// A reactor app; needs the LOG, SENSOR and TELEMETRY capabilities.

const CH_TEMPERATURE = 0;
const FAN_ON_C: f32 = 30.0;
const FAN_OFF_C: f32 = 29.0;

let fanOn = false;

/** v with one decimal ("21.3", "30.0"). */
function tenths(v: f32): string {
  return (Math.round(v * 10) / 10).toString();
}

export function setup(): i32 {
  wamr_agent.log("{{name}} started: fan on above " + tenths(FAN_ON_C) + " C, off below " +
    tenths(FAN_OFF_C) + " C");
  return wamr_agent.OK;
}

export function loop(): i32 {
  const temp = wamr_agent.sensorRead(CH_TEMPERATURE);
  const rc = wamr_agent.lastStatus();
  if (rc != wamr_agent.OK) {
    wamr_agent.log("no temperature data");
    return rc;
  }
  const want = fanOn ? temp >= FAN_OFF_C : temp > FAN_ON_C;
  if (want != fanOn) {
    fanOn = want;
    wamr_agent.log("fan " + (want ? "on" : "off") + " at " + tenths(temp) + " C");
  }
  return wamr_agent.publish("fan", want ? 1 : 0);
}
