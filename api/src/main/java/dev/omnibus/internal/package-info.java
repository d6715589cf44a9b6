/** The portable layer's implementation; not API: may change without notice. */
package dev.omnibus.internal;
