package com.example.omnibus.mqtt;

import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import org.eclipse.paho.client.mqttv3.MqttException;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Maps Paho's exceptions to portable ones, by Paho's reason code; stateless. */
final class MqttErrors {
    private MqttErrors() {
    }

    static OmnibusException classify(String what, Throwable error) {
        while ((error instanceof CompletionException || error instanceof ExecutionException) && error.getCause() != null) {
            error = error.getCause();
        }
        if (error instanceof OmnibusException o) {
            return o;
        }
        if (!(error instanceof MqttException e)) {
            return new OmnibusException(ErrorCode.UNKNOWN, "mqtt: " + what + ": " + error, error);
        }
        String message = "mqtt: " + what + ": " + e.getMessage() + " (Paho reason " + e.getReasonCode() + ")";
        return switch (e.getReasonCode()) {
            case MqttException.REASON_CODE_FAILED_AUTHENTICATION, MqttException.REASON_CODE_NOT_AUTHORIZED,
                 MqttException.REASON_CODE_INVALID_CLIENT_ID ->
                    new OmnibusException(ErrorCode.UNAUTHENTICATED, message, e);
            case MqttException.REASON_CODE_SUBSCRIBE_FAILED -> new OmnibusException(ErrorCode.PERMISSION_DENIED,
                    message + ": the broker refused the subscription (an ACL, or $share not allowed)", e);
            case MqttException.REASON_CODE_MAX_INFLIGHT -> new OmnibusException(ErrorCode.RESOURCE_EXHAUSTED,
                    message + ": too many publishes await the broker's PUBACK (option publish.window)", e);
            case MqttException.REASON_CODE_CLIENT_TIMEOUT, MqttException.REASON_CODE_WRITE_TIMEOUT ->
                    new OmnibusException(ErrorCode.TIMEOUT, message, e);
            case MqttException.REASON_CODE_CLIENT_CLOSED -> new OmnibusException(ErrorCode.CLOSED, message, e);
            case MqttException.REASON_CODE_CLIENT_NOT_CONNECTED, MqttException.REASON_CODE_CONNECTION_LOST,
                 MqttException.REASON_CODE_SERVER_CONNECT_ERROR, MqttException.REASON_CODE_BROKER_UNAVAILABLE,
                 MqttException.REASON_CODE_CLIENT_DISCONNECTING, MqttException.REASON_CODE_CONNECT_IN_PROGRESS,
                 MqttException.REASON_CODE_CLIENT_EXCEPTION ->
                    new OmnibusException(ErrorCode.UNAVAILABLE, message, e);
            default -> new OmnibusException(ErrorCode.UNKNOWN, message, e);
        };
    }
}
