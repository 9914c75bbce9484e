#include "runner.h"

void tests_dropout(void);
void tests_dropout(void) {}
