#include "runner.h"

void tests_badinput(void);
void tests_badinput(void) {}
