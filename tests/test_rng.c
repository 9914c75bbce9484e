#include "runner.h"

void tests_rng(void);
void tests_rng(void) {}
