#include "runner.h"

void tests_status(void);
void tests_status(void) {}
