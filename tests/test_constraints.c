#include "runner.h"

void tests_constraints(void);
void tests_constraints(void) {}
