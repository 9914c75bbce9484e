#include "runner.h"

void tests_cell(void);
void tests_cell(void) {}
