/** The outbox module's implementation; not API: may change without notice. */
package dev.omnibus.outbox.internal;
