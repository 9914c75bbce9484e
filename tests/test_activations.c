#include "runner.h"

void tests_activations(void);
void tests_activations(void) {}
