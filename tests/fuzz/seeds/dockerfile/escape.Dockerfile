# escape=`
FROM x
RUN a `
  b
ENV X=${Y:?need y}
