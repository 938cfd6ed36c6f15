/** Factor tables, model configurations (the paper's four models) and the optimizer settings. */
package io.relstream.core.model;
