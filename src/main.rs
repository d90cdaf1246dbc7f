fn main() {
  if let Err(code) = dev::run(std::env::args_os()) {
    std::process::exit(code);
  }
}
