#include "runner.h"

void tests_errors(void);
void tests_errors(void) {}
