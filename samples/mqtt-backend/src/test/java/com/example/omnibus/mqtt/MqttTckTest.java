package com.example.omnibus.mqtt;

import dev.omnibus.tck.OmnibusTck;
import dev.omnibus.tck.TckHarness;

/** The Omnibus TCK against the MQTT backend on a Mosquitto of its own. */
class MqttTckTest extends OmnibusTck {
    @Override
    protected TckHarness createHarness() {
        return new MosquittoHarness();
    }
}
