#include "runner.h"

void tests_golden(void);
void tests_golden(void) {}
