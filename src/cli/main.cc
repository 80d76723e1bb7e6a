#include "cli/commands.h"

int main(int argc, char** argv) { return idscheme::cli::Run(argc, argv); }
